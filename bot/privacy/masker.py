"""Masking one request's text, and the sealed `ModelInput` that is the only thing a model may receive.

A `Masker` lives for one model request: the same email or phone number gets the same placeholder
(`<EMAIL_1>`, `<PHONE_2>`) so the model can refer to it, and the mapping back to the originals stays in
this object's memory only, to restore them in what Tandem shows the account's own team. It is never
stored or logged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from bot.privacy.detect import DEFAULT_PHONE_REGIONS, EMAIL, PHONE, Detector, Found, detector_for

_LABELS = {EMAIL: "EMAIL", PHONE: "PHONE"}
PLACEHOLDER = re.compile(r"<(EMAIL|PHONE)_(\d+)>")
# Text that already looks like a placeholder is defused (angle quotes), so a ticket cannot forge one.
_LOOKALIKE = re.compile(r"<((?:EMAIL|PHONE)_\d+)>", re.IGNORECASE)
# Only `Masker.seal` holds this: `ModelInput(...)` written anywhere else raises TypeError.
_SEAL = object()

if TYPE_CHECKING:
    from presidio_anonymizer import AnonymizerEngine


@cache
def _anonymizer() -> AnonymizerEngine:
    """Built on the first text with something to mask: presidio is not imported by commands that never mask."""
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()


class ModelInput:
    """A prompt whose text went through the masker. The model client accepts nothing else."""

    __slots__ = ("_system", "_user", "prompt_version")

    def __init__(self, system: str, user: str, prompt_version: str, *, _seal: object = None) -> None:
        if _seal is not _SEAL:
            raise TypeError("a ModelInput is made by Masker.seal(), never directly: text must be masked first")
        self._system, self._user, self.prompt_version = system, user, prompt_version

    @property
    def system(self) -> str:
        return self._system

    @property
    def user(self) -> str:
        return self._user

    def text(self) -> str:
        """What the model is sent, as one text: stored for "What did the model see?"."""
        return f"[system]\n{self._system}\n\n[user]\n{self._user}"

    def digest(self, model: str) -> str:
        """Cache key: the masked input, the prompt version and the model (a new model writes anew)."""
        return hashlib.sha256(f"{self.prompt_version}\x00{model}\x00{self.text()}".encode()).hexdigest()

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "prompt_version"):  # set once in __init__, then frozen
            raise AttributeError("ModelInput is immutable")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"ModelInput(prompt_version={self.prompt_version!r}, chars={len(self._system) + len(self._user)})"


def _key(entity: str, original: str) -> str:
    """Same address or number written differently -> same placeholder."""
    if entity == EMAIL:
        return original.casefold()
    return ("+" if original.lstrip().startswith("+") else "") + "".join(c for c in original if c.isdigit())


class Masker:
    def __init__(self, detector: Detector | None = None, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> None:
        self._detector = detector or detector_for(tuple(phone_regions))
        self._by_key: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._counts = {EMAIL: 0, PHONE: 0}

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(self._originals)

    def mask(self, text: str) -> str:
        text = _LOOKALIKE.sub(r"‹\1›", text)
        found = self._detector.find(text)
        if not found:
            return text
        from presidio_anonymizer import OperatorConfig, RecognizerResult

        # Anonymize window by window: presidio rebuilds the whole string per entity, quadratic on long texts.
        parts: list[str] = []
        done = 0
        for start, end, group in _groups(found):
            results = [RecognizerResult(f.entity, f.start - start, f.end - start, 1.0) for f in group]
            # Placeholders are chosen here, in reading order; the operator only looks them up (no side effect,
            # whatever presidio calls it with).
            chosen = {
                (f.entity, text[f.start : f.end]): self._placeholder(f.entity, text[f.start : f.end]) for f in group
            }
            operators = {
                entity: OperatorConfig("custom", {"lambda": lambda s, e=entity, c=chosen: c.get((e, s), s)})
                for entity in {f.entity for f in group}
            }
            anonymized = (
                _anonymizer().anonymize(text[start:end], results, operators, merge_entities_with_spaces=False).text
            )
            parts += [text[done:start], anonymized]
            done = end
        parts.append(text[done:])
        return "".join(parts)

    def restore(self, text: str) -> str:
        """Originals back in place of the placeholders this masker made; anything else is left as is."""
        return PLACEHOLDER.sub(lambda m: self._originals.get(m.group(0), m.group(0)), text)

    def seal(self, system: str, user: str, prompt_version: str) -> ModelInput:
        """Mask every part of a prompt (our templates too: nothing reaches the model unscanned)."""
        return ModelInput(self.mask(system), self.mask(user), prompt_version, _seal=_SEAL)

    def _placeholder(self, entity: str, original: str) -> str:
        key = (entity, _key(entity, original))
        placeholder = self._by_key.get(key)
        if placeholder is None:
            self._counts[entity] += 1
            placeholder = f"<{_LABELS[entity]}_{self._counts[entity]}>"
            self._by_key[key] = placeholder
            self._originals[placeholder] = original
        return placeholder

    def __repr__(self) -> str:  # never show the mapping, even in a traceback
        return f"Masker(placeholders={len(self._originals)})"


def _groups(found: list[Found], gap: int = 200) -> list[tuple[int, int, list[Found]]]:
    """Nearby findings anonymized together; far apart ones separately (linear time overall)."""
    groups: list[tuple[int, int, list[Found]]] = []
    for item in found:
        if groups and item.start - groups[-1][1] <= gap:
            start, _, members = groups[-1]
            groups[-1] = (start, item.end, [*members, item])
        else:
            groups.append((item.start, item.end, [item]))
    return groups
