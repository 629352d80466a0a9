"""When may a contact missing from a sync be taken for gone?

A departure is inferred only from what the source positively says. A contact absent from a complete export
has left; but a contact whose row was rejected (a bad date, an unknown account, a duplicate) is not absent,
and a file with a read problem (malformed quoting, a ragged or undecodable line, a rejected row naming nobody)
may hide anyone: then no one vanishes in this sync.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.base import SourceBatch


@dataclass(frozen=True)
class VanishRule:
    complete: bool  # the source gave its contacts in full
    read_failure: bool  # some rows may be missing or unattributable
    named: frozenset[str]  # contacts the source mentioned, in a kept or a rejected row

    @classmethod
    def of(cls, batch: SourceBatch) -> VanishRule:
        """Build it from the batch as the source delivered it (before storage sets any record aside)."""
        named = {c.contact_id for c in batch.contacts}
        named |= {p.contact_id for p in batch.problems if p.contact_id}
        return cls(
            complete="contacts" in batch.complete,
            read_failure=any(p.read_failure for p in batch.problems),
            named=frozenset(named),
        )

    @property
    def applies(self) -> bool:
        """Whether anyone at all may be inferred to have left from this batch."""
        return self.complete and not self.read_failure

    def may_vanish(self, contact_id: str) -> bool:
        return self.applies and contact_id not in self.named
