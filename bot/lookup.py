"""Finding an account from what a person typed: exact, fuzzy (rapidfuzz), ambiguous or unknown."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Account

MAX_QUERY = 200
MIN_SCORE = 60.0
SURE_SCORE = 90.0
SURE_MARGIN = 8.0
MAX_CHOICES = 5
MEMO_SIZE = 2048  # fuzzy results kept per index


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


@dataclass(frozen=True)
class _Index:
    """An organization's accounts, prepared once for matching (rapidfuzz's preprocessing done up front)."""

    fingerprint: tuple[object, ...]
    rows: list[tuple[int, str, str | None, str]]  # id, name, domain, external id
    exact: dict[str, list[int]]  # casefolded name / domain / external id -> row indexes
    names: list[str]
    domains: list[str]
    # Fuzzy results by processed query: the index never changes once built (a change builds a new one),
    # so a query asked again (people look up the same accounts all day) costs a dictionary read.
    fuzzy: dict[str, list[Candidate]] = field(default_factory=dict, compare=False)


_INDEXES: dict[int, _Index] = {}
_LOCK = threading.Lock()


def _index(session: Session, org_id: int) -> _Index:
    """The cached index, rebuilt when the org's accounts changed (count, newest id or last update moved)."""
    # Three scalar subqueries, not one aggregate: each max is then one index probe, not a scan of the org.
    mine = Account.org_id == org_id
    fingerprint = tuple(
        session.execute(
            select(
                select(func.count(Account.id)).where(mine).scalar_subquery(),
                select(func.max(Account.id)).where(mine).scalar_subquery(),
                select(func.max(Account.updated_at)).where(mine).scalar_subquery(),
            )
        ).one()
    )
    cached = _INDEXES.get(org_id)
    if cached is not None and cached.fingerprint == fingerprint:
        return cached
    rows = [
        (r.id, r.name, r.domain, r.external_id)
        for r in session.execute(
            select(Account.id, Account.name, Account.domain, Account.external_id).where(Account.org_id == org_id)
        )
    ]
    exact: dict[str, list[int]] = {}
    for i, (_, name, domain, external_id) in enumerate(rows):
        for key in {name.casefold(), (domain or "").casefold(), external_id.casefold()} - {""}:
            exact.setdefault(key, []).append(i)
    built = _Index(
        fingerprint,
        rows,
        exact,
        [utils.default_process(r[1]) for r in rows],
        [utils.default_process(r[2] or "") for r in rows],
    )
    with _LOCK:
        _INDEXES[org_id] = built
    return built


def find_account(session: Session, org_id: int, query: str) -> LookupResult:
    """Exact name, domain or id wins; else the best fuzzy match when it clearly leads; else a chooser."""
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return LookupResult("empty", query)
    index = _index(session, org_id)
    exact = index.exact.get(query.casefold(), [])
    if len(exact) == 1:
        account_id, name, domain, _ = index.rows[exact[0]]
        return LookupResult("found", query, Candidate(account_id, name, domain, 100.0))
    processed = utils.default_process(query)
    ranked = index.fuzzy.get(processed)
    if ranked is None:
        ranked = _fuzzy(index, processed)
        if len(index.fuzzy) >= MEMO_SIZE:
            index.fuzzy.clear()
        index.fuzzy[processed] = ranked
    if not ranked:
        return LookupResult("none", query)
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    if ranked[0].score >= SURE_SCORE and ranked[0].score - runner_up >= SURE_MARGIN:
        return LookupResult("found", query, ranked[0])
    if len(ranked) == 1:
        return LookupResult("found", query, ranked[0])
    return LookupResult("ambiguous", query, choices=list(ranked))


def _fuzzy(index: _Index, processed: str) -> list[Candidate]:
    """The best fuzzy matches of a processed query, best first."""
    choices: dict[int, Candidate] = {}
    # Names and domains are matched separately: "acme.example" should find Acme by its domain.
    for keys in (index.names, index.domains):
        for _text, score, i in process.extract(
            processed, keys, scorer=fuzz.WRatio, processor=None, limit=MAX_CHOICES * 2, score_cutoff=MIN_SCORE
        ):
            account_id, name, domain, _ = index.rows[i]
            if account_id not in choices or choices[account_id].score < score:
                choices[account_id] = Candidate(account_id, name, domain, float(score))
    return sorted(choices.values(), key=lambda c: (-c.score, c.name))[:MAX_CHOICES]
