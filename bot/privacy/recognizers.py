"""presidio's pattern recognizers, set up offline. Imported only when a detector is first built: presidio
(and the spaCy it imports) costs seconds of start-up that most commands never need."""

from __future__ import annotations

import re
from collections.abc import Sequence

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer

# Reserved and private-use names (RFC 2606, 6761, 6762, 8375): real addresses use them inside companies,
# and the demo book does too, but the public suffix list does not know them.
_RESERVED_SUFFIXES = ("example", "test", "invalid", "localhost", "local", "internal", "corp", "home.arpa", "lan")
# The bundled suffix list snapshot only: no download (suffix_list_urls=()), no cache written to disk.
_OFFLINE_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, extra_suffixes=_RESERVED_SUFFIXES)
_ALPHA_TLD = re.compile(r"\.[^\W\d_]{2,24}$")


class OfflineEmailRecognizer(EmailRecognizer):
    """presidio's email recognizer, validating the domain without the network.

    The stock one calls `tldextract.extract`, which downloads the public suffix list on first use.
    A domain the offline list does not know still counts when its last label is letters: a missed email
    is worse than a masked non-email.
    """

    def validate_result(self, pattern_text: str) -> bool:
        domain = pattern_text.rsplit("@", 1)[-1]
        return _OFFLINE_TLD(domain).fqdn != "" or bool(_ALPHA_TLD.search(domain))


def phone_recognizers(regions: Sequence[str]) -> list[PhoneRecognizer]:
    """One recognizer per region, tried in order (see Detector)."""
    return [PhoneRecognizer(supported_regions=(region,)) for region in regions]
