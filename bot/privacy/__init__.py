"""The privacy gate: emails and phone numbers are masked before any text can reach a language model."""

from bot.privacy.detect import DEFAULT_PHONE_REGIONS, Detector, Found, detector_for, parse_regions
from bot.privacy.masker import PLACEHOLDER, Masker, ModelInput

__all__ = [
    "DEFAULT_PHONE_REGIONS",
    "PLACEHOLDER",
    "Detector",
    "Found",
    "Masker",
    "ModelInput",
    "detector_for",
    "parse_regions",
]
