"""When may a contact missing from a sync be taken for gone?

A departure is inferred only from what the source positively says. A contact absent from a complete export
has left; but a contact whose row was rejected (a bad date, an unknown account, a duplicate) is not absent,
and a file with a read problem (malformed quoting, a ragged or undecodable line, a rejected row naming nobody)
may hide anyone: then no one vanishes in this sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from integrations.base import Problem, SourceBatch


@dataclass(frozen=True)
class VanishRule:
    complete: bool  # the source gave its contacts in full
    read_failure: bool  # some rows may be missing or unattributable
    named: frozenset[str]  # contacts the source mentioned, in a kept or a rejected row

    @classmethod
    def of(cls, batch: SourceBatch) -> VanishRule:
        """Build it from the batch as the source delivered it (before storage sets any record aside)."""
        return cls.of_problems("contacts" in batch.complete, batch.problems, {c.contact_id for c in batch.contacts})

    @classmethod
    def of_problems(cls, complete: bool, problems: Iterable[Problem], named: Iterable[str] = ()) -> VanishRule:
        """Build it from every problem of the sync (for a streamed batch: once all its records are read) and
        the contacts the source named that storage set aside; the contacts it stored are known elsewhere."""
        problems = list(problems)
        return cls(
            complete=complete,
            read_failure=any(p.read_failure for p in problems),
            named=frozenset({*named, *(p.contact_id for p in problems if p.contact_id)}),
        )

    @property
    def applies(self) -> bool:
        """Whether anyone at all may be inferred to have left from this batch."""
        return self.complete and not self.read_failure

    def may_vanish(self, contact_id: str) -> bool:
        return self.applies and contact_id not in self.named
