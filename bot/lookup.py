"""Finding an account from what a person typed: exact, fuzzy (rapidfuzz), ambiguous or unknown."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Account

MAX_QUERY = 200
MIN_SCORE = 60.0
SURE_SCORE = 90.0
SURE_MARGIN = 8.0
MAX_CHOICES = 5


@dataclass(frozen=True)
class Candidate:
    account_id: int
    name: str
    domain: str | None
    score: float


@dataclass
class LookupResult:
    status: str  # found | ambiguous | none | empty
    query: str
    match: Candidate | None = None
    choices: list[Candidate] = field(default_factory=list)


def find_account(session: Session, org_id: int, query: str) -> LookupResult:
    """Exact name, domain or id wins; else the best fuzzy match when it clearly leads; else a chooser."""
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return LookupResult("empty", query)
    rows = session.execute(
        select(Account.id, Account.name, Account.domain, Account.external_id).where(Account.org_id == org_id)
    ).all()
    needle = query.casefold()
    exact = [r for r in rows if needle in {r.name.casefold(), (r.domain or "").casefold(), r.external_id.casefold()}]
    if len(exact) == 1:
        r = exact[0]
        return LookupResult("found", query, Candidate(r.id, r.name, r.domain, 100.0))
    choices: dict[int, Candidate] = {}
    # Names and domains are matched separately: "acme.example" should find Acme by its domain.
    for keys in ([r.name for r in rows], [r.domain or "" for r in rows]):
        for _text, score, index in process.extract(
            query, keys, scorer=fuzz.WRatio, processor=utils.default_process, limit=MAX_CHOICES * 2
        ):
            r = rows[index]
            if score >= MIN_SCORE and (r.id not in choices or choices[r.id].score < score):
                choices[r.id] = Candidate(r.id, r.name, r.domain, float(score))
    ranked = sorted(choices.values(), key=lambda c: (-c.score, c.name))[:MAX_CHOICES]
    if not ranked:
        return LookupResult("none", query)
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    if ranked[0].score >= SURE_SCORE and ranked[0].score - runner_up >= SURE_MARGIN:
        return LookupResult("found", query, ranked[0])
    if len(ranked) == 1:
        return LookupResult("found", query, ranked[0])
    return LookupResult("ambiguous", query, choices=ranked)
