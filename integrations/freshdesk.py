"""Freshdesk support through its REST API v2 (httpx): tickets updated since the cursor, mapped to accounts
through their company (an explicit map, a company custom field, or the company's domains) or, for a
ticket without one, its requester's email domain; satisfaction ratings become the tickets' CSAT.

No SDK: python-freshdesk (the only one on PyPI) last shipped in 2022, waits out no 429 and hides the
Link header this connector pages by. The API is plain JSON over basic auth (API key, password "X").
The first sync starts `history_days` back; later ones from the stored `updated_since`. Deleted (and
spam) tickets are stored closed, so a ticket Tandem holds as open stops counting as open work.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr, ValidationError

from integrations.base import Problem, SourceBatch, SourceError
from integrations.files import describe_error
from integrations.records import TicketRecord
from integrations.remote_api import AccountMatchedSource, RateLimitedApiConfig

KIND = "freshdesk"
PER_PAGE = 100  # the API's maximum
MAX_PAGE = 300  # the tickets list ends there (30,000 tickets): past it, restart from the last update seen
OVERLAP = timedelta(minutes=2)  # a ticket saved while the sync ran may carry an earlier updated_at
Status = Literal["open", "pending", "solved", "closed"]
STATUSES: dict[int, Status] = {2: "open", 3: "pending", 4: "solved", 5: "closed"}
PRIORITIES = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
# Freshdesk scores answers from -103 (extremely unhappy) to 103 (extremely happy); the contract is 1-5.
CSAT = {103: 5, 102: 4, 101: 4, 100: 3, -101: 2, -102: 2, -103: 1}
Match = Literal["map", "custom_field", "domain"]
DEFAULT_MATCH: list[Match] = ["map", "custom_field", "domain"]


class Config(RateLimitedApiConfig):
    domain: str = Field(min_length=1)  # acme for acme.freshdesk.com
    api_key: SecretStr  # an agent's key (Profile settings): the agent must see every ticket
    base_url: str | None = None  # default https://{domain}.freshdesk.com
    # How a company becomes a Tandem account, tried in this order.
    match: list[Match] = Field(default_factory=lambda: list(DEFAULT_MATCH))
    account_map: dict[str, str] = Field(default_factory=dict)  # Freshdesk company id -> account id
    account_field: str = "tandem_account"  # a company custom field holding the account id
    status_map: dict[str, Status] = Field(default_factory=dict)  # custom status id ("6") -> contract status
    include_description: bool = True  # costs one more API credit per page
    satisfaction: bool = True  # read satisfaction ratings (needs the surveys feature)
    history_days: int = Field(365, gt=0)  # how far back the first sync reads


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Refused(Exception):
    """An answer a caller may tolerate (an optional feature's 403/404) before it becomes a SourceError."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _Truncated(Exception):
    """A list endpoint had more pages than it serves."""


class FreshdeskSource(AccountMatchedSource[Config]):
    def resume(self, cursor: dict[str, Any] | None) -> None:
        since = cursor.get("updated_since") if cursor else None
        self.since = _when(since) if since else None

    def connect(self) -> None:
        config = self.config
        self.skipped = 0  # tickets with neither a company nor a known requester domain
        self.requests = 0
        self.host = (config.base_url or f"https://{config.domain}.freshdesk.com").rstrip("/")
        self.client = httpx.Client(
            base_url=self.host,
            auth=(config.api_key.get_secret_value(), "X"),
            timeout=config.timeout_seconds,
            headers={"Accept": "application/json"},
            transport=httpx.HTTPTransport(retries=2),  # connection failures only
        )

    # -- transport ---------------------------------------------------------------------------------

    def _get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        waited, attempt = 0.0, 0
        while True:
            self.requests += 1
            try:
                response = self.client.get(url, params=params)
            except httpx.HTTPError as exc:
                raise SourceError(f"cannot reach Freshdesk at {self.host}: {exc}") from exc
            status = response.status_code
            if status == 429:
                wait = float(response.headers.get("Retry-After") or 60)
                if waited + wait > self.config.rate_limit_budget_seconds:
                    raise SourceError(
                        f"Freshdesk kept rate limiting (429) beyond {self.config.rate_limit_budget_seconds}s of waiting"
                    )
                waited += wait
                time.sleep(wait)
                continue
            if status >= 500 and attempt < self.config.max_retries:
                time.sleep(self.config.retry_backoff * 2**attempt)
                attempt += 1
                continue
            if status in (403, 404):
                raise _Refused(response)
            if status >= 400:
                raise self._error(response)
            return response

    def _error(self, response: httpx.Response) -> SourceError:
        status = response.status_code
        if status == 401:
            return SourceError(
                f"Freshdesk refused the API key (401): check the key (Profile settings > API key) "
                f"and the domain {self.config.domain!r}"
            )
        if status == 403:
            return SourceError("Freshdesk denied access (403): the key's agent must be able to see all tickets")
        if status >= 500:
            return SourceError(f"Freshdesk failed ({status}) after {self.config.max_retries} retries")
        return SourceError(f"Freshdesk answered {status} on {response.request.url.path}: {response.text[:300]}")

    def _pages(self, path: str, params: dict[str, Any], limit: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Each page of a list endpoint, following the Link header's rel="next" URL (`limit` pages at most)."""
        url: str | None = path
        query: dict[str, Any] | None = {**params, "per_page": PER_PAGE}
        read = 0
        while url and (limit is None or read < limit):
            response = self._get(url, query)
            read += 1
            yield response.json()
            url, query = response.links.get("next", {}).get("url"), None  # the next URL carries the query
        if url:
            raise _Truncated()

    def _items(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for page in self._pages(path, params):
            yield from page

    def _tickets(self, since: datetime, extra: dict[str, Any]) -> Iterator[dict[str, Any]]:
        include = ["requester", "stats", *(["description"] if self.config.include_description else [])]
        floor = since
        while True:
            params = {"updated_since": _iso(floor), "order_by": "updated_at", "order_type": "asc",
                      "include": ",".join(include), **extra}  # fmt: skip
            last: str | None = None
            try:
                for page in self._pages("/api/v2/tickets", params, limit=MAX_PAGE):
                    yield from page
                    last = page[-1].get("updated_at") if page else last
                return
            except _Truncated:
                if not last or _when(last) <= floor:
                    raise SourceError(f"over {MAX_PAGE * PER_PAGE} Freshdesk tickets share one updated_at") from None
                floor = _when(last)  # sorted by updated_at: the next window starts at the last one seen

    # -- the sync ----------------------------------------------------------------------------------

    def test(self) -> str:
        try:
            me = self._get("/api/v2/agents/me").json()
        except _Refused as exc:
            raise self._error(exc.response) from None
        contact = me.get("contact") or {}
        return f"Freshdesk {self.config.domain}: signed in as {contact.get('email')}"

    def load(self) -> SourceBatch:
        try:
            return self._load()
        except _Refused as exc:
            raise self._error(exc.response) from None

    def _load(self) -> SourceBatch:
        started = datetime.now(UTC)
        batch = SourceBatch()
        since = self.since or started - timedelta(days=self.config.history_days)
        tickets = {t["id"]: t for t in self._tickets(since, {})}
        if self.since is not None:  # a first sync has no stored copy to close
            tickets.update((t["id"], {**t, "deleted": True}) for t in self._tickets(since, {"filter": "deleted"}))
        scores = self._ratings(since, batch.problems) if self.config.satisfaction else {}
        for ticket_id in scores.keys() - tickets.keys():  # rated since, but not updated since
            try:
                tickets[ticket_id] = self._get(f"/api/v2/tickets/{ticket_id}", {"include": "requester,stats"}).json()
            except _Refused:
                continue  # deleted for good: nothing to store
        accounts = self._companies({t["company_id"] for t in tickets.values() if t.get("company_id")}, tickets, batch)
        for ticket in tickets.values():
            account_id = self._account_of(ticket, accounts)
            if account_id is None:
                continue
            try:
                batch.tickets.append(self._ticket(ticket, account_id, scores.get(ticket["id"])))
            except (ValidationError, ValueError) as exc:
                reason = describe_error(exc) if isinstance(exc, ValidationError) else str(exc)
                batch.problems.append(Problem(f"freshdesk ticket {ticket['id']}", reason))
        batch.cursor = {"updated_since": _iso(started - OVERLAP)}
        return batch

    def _ratings(self, since: datetime, problems: list[Problem]) -> dict[int, int]:
        """The latest score of each ticket rated since; an account without surveys is a problem, not a failure."""
        found: dict[int, tuple[str, int]] = {}
        try:
            for r in self._items("/api/v2/surveys/satisfaction_ratings", {"created_since": _iso(since)}):
                score = CSAT.get(next(iter((r.get("ratings") or {}).values()), 0))
                ticket_id, at = r.get("ticket_id"), str(r.get("created_at") or "")
                if score and ticket_id and (ticket_id not in found or found[ticket_id][0] < at):
                    found[ticket_id] = (at, score)
        except _Refused as exc:
            problems.append(Problem("freshdesk satisfaction ratings", f"not readable ({exc.response.status_code})"))
        return {ticket_id: score for ticket_id, (_at, score) in found.items()}

    def _companies(self, ids: set[int], tickets: dict[int, dict[str, Any]], batch: SourceBatch) -> dict[int, str]:
        if not ids:
            return {}
        per_company = Counter(t.get("company_id") for t in tickets.values())
        found: dict[int, str] = {}
        seen: set[int] = set()
        for company in self._items("/api/v2/companies", {}):
            if company["id"] not in ids:
                continue
            seen.add(company["id"])
            account_id = self._company_account(company)
            if account_id is not None:
                found[company["id"]] = account_id
                continue
            count = per_company[company["id"]]
            where = f"freshdesk company {company['id']}"
            batch.problems.append(Problem(where, f"{company.get('name')!r} matches no account ({count} tickets)"))
        for missing in sorted(ids - seen):
            batch.problems.append(Problem(f"freshdesk company {missing}", "not readable (deleted?)"))
        return found

    def _company_account(self, company: dict[str, Any]) -> str | None:
        known = self.accounts
        for how in self.config.match:
            if how == "map" and (mapped := self.config.account_map.get(str(company["id"]))):
                return mapped
            if how == "custom_field":
                value = (company.get("custom_fields") or {}).get(self.config.account_field)
                if value not in (None, "") and (known is None or str(value) in known):
                    return str(value)
            if how == "domain":
                for domain in company.get("domains") or []:
                    if (account_id := self.by_domain.get(domain.lower())) is not None:
                        return account_id
        return None

    def _account_of(self, ticket: dict[str, Any], companies: dict[int, str]) -> str | None:
        if ticket.get("company_id"):
            return companies.get(ticket["company_id"])  # an unmatched company is already reported once
        email = str((ticket.get("requester") or {}).get("email") or "")
        account_id = self.by_domain.get(email.rsplit("@", 1)[-1].lower()) if "@" in email else None
        if "domain" in self.config.match and account_id is not None:
            return account_id
        self.skipped += 1
        return None

    def _ticket(self, t: dict[str, Any], account_id: str, csat: int | None) -> TicketRecord:
        gone = bool(t.get("deleted") or t.get("spam"))
        code = t.get("status")
        status = "closed" if gone else STATUSES.get(code) if isinstance(code, int) else None
        status = status or self.config.status_map.get(str(code))
        if status is None:
            raise ValueError(f"unknown status {code!r} (a custom status: map it with status_map)")
        stats = t.get("stats") or {}
        closed_at = None
        if status in ("solved", "closed"):
            closed_at = stats.get("closed_at") or stats.get("resolved_at") or t.get("updated_at")
        return TicketRecord(
            ticket_id=str(t["id"]),
            account_id=account_id,
            opened_at=t["created_at"],
            closed_at=closed_at,
            priority=PRIORITIES.get(t.get("priority") or 0),
            status=status,
            subject=t.get("subject"),
            body=t.get("description_text"),
            csat=csat,
        )


connector = FreshdeskSource  # the kind's factory: (name, config, cursor, full, accounts)
