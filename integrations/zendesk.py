"""Zendesk Support through zenpy: the cursor-based incremental ticket export, mapped to accounts through
each ticket's organization (an explicit map, the organization's external_id, or its domains).

The first sync starts `history_days` back; each later one resumes from the stored `after_cursor`, so
only tickets changed since are read. Deleted tickets come back with status "deleted": a ticket Tandem
may hold as open is then stored closed, so it stops counting as open work.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import requests
from pydantic import Field, SecretStr, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from zenpy import Zenpy
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, ZenpyException

from integrations.base import Problem, SourceBatch, SourceError
from integrations.files import describe_error
from integrations.records import TicketRecord
from integrations.remote_api import AccountMatchedSource, RateLimitedApiConfig

KIND = "zendesk"
SHOW_MANY = 100  # organizations/show_many takes at most 100 ids
STATUSES = {
    "new": "open",
    "open": "open",
    "pending": "pending",
    "hold": "pending",
    "solved": "solved",
    "closed": "closed",
}
CSAT = {"good": 5, "bad": 1}  # Zendesk's binary rating on the contract's 1-5 scale
Match = Literal["map", "external_id", "domain"]
DEFAULT_MATCH: list[Match] = ["map", "external_id", "domain"]


class Config(RateLimitedApiConfig):
    subdomain: str = Field(min_length=1)  # acme for acme.zendesk.com
    email: str = Field(min_length=3)  # the agent the API token belongs to
    api_token: SecretStr
    base_url: str | None = None  # default https://{subdomain}.zendesk.com
    # How an organization becomes a Tandem account, tried in this order.
    match: list[Match] = Field(default_factory=lambda: list(DEFAULT_MATCH))
    account_map: dict[str, str] = Field(default_factory=dict)  # Zendesk organization id -> account id
    history_days: int = Field(365, gt=0)  # how far back the first sync reads
    per_page: int = Field(1000, ge=1, le=1000)


class _Transport(HTTPAdapter):
    """Retries 5xx with backoff (zenpy itself waits out 429 Retry-After) and, for tests and proxies,
    sends https://{subdomain}.zendesk.com requests to base_url instead."""

    def __init__(self, retries: Retry, rebase: tuple[str, str] | None) -> None:
        super().__init__(max_retries=retries)
        self.rebase = rebase
        self.requests = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.requests += 1
        original = request.url
        if self.rebase and original and original.startswith(self.rebase[0]):
            request.url = self.rebase[1] + original[len(self.rebase[0]) :]
        response = super().send(request, *args, **kwargs)
        if original and original != request.url:  # zenpy picks its response handler by URL: show it its own
            response.url = request.url = original
        return response


@dataclass(slots=True)
class _Ticket:
    """What is kept of a zenpy Ticket until its organization is known: 100k full objects take ~0.5 GB."""

    id: int
    organization_id: int | None
    status: str | None
    priority: str | None
    created_at: str
    updated_at: str | None
    subject: str | None
    description: str | None
    score: str | None

    @classmethod
    def of(cls, t: Any) -> _Ticket:
        rating = t.satisfaction_rating  # a dict, or a zenpy object once deserialized
        score = rating.get("score") if isinstance(rating, dict) else getattr(rating, "score", None)
        return cls(
            t.id, t.organization_id, t.status, t.priority, t.created_at, t.updated_at, t.subject, t.description, score
        )


class ZendeskSource(AccountMatchedSource[Config]):
    def resume(self, cursor: dict[str, Any] | None) -> None:
        self.after_cursor = cursor.get("after_cursor") if cursor else None

    def connect(self) -> None:
        config = self.config
        self.skipped = 0  # tickets without an organization: not a customer's
        origin = f"https://{config.subdomain}.zendesk.com"
        retries = Retry(
            total=config.max_retries,
            backoff_factor=config.retry_backoff,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods={"GET"},
            respect_retry_after_header=False,  # else urllib3 would retry 429s itself, before zenpy's budget
            raise_on_status=False,  # the last 5xx reaches zenpy, which raises with its status
        )
        rebase = (origin, config.base_url.rstrip("/")) if config.base_url else None
        self.transport = _Transport(retries, rebase)
        session = requests.Session()
        session.mount("https://", self.transport)
        session.mount("http://", self.transport)
        self.client = Zenpy(
            subdomain=config.subdomain,
            email=config.email,
            token=config.api_token.get_secret_value(),
            session=session,
            timeout=config.timeout_seconds,
            ratelimit_budget=config.rate_limit_budget_seconds,
            disable_cache=True,  # a 100k-ticket export must not pile up in zenpy's object cache
        )
        self.host = config.base_url or origin

    @property
    def requests(self) -> int:
        return self.transport.requests

    def test(self) -> str:
        with self._errors():
            me = self.client.users.me()
        if me is None or getattr(me, "role", None) == "end-user" or not getattr(me, "id", None):
            raise SourceError(f"Zendesk at {self.host} accepted the login but not as an agent: use an admin's token")
        return f"Zendesk {self.config.subdomain}: signed in as {me.email} ({me.role})"

    def load(self) -> SourceBatch:
        batch = SourceBatch()
        raw: list[_Ticket] = []
        with self._errors():
            if self.after_cursor:
                export = self.client.tickets.incremental(cursor=self.after_cursor, per_page=self.config.per_page)
            else:
                start = datetime.now(UTC) - timedelta(days=self.config.history_days)
                export = self.client.tickets.incremental(
                    start_time=int(start.timestamp()), per_page=self.config.per_page
                )
            for ticket in export:
                if ticket.status == "deleted" and not self.after_cursor:
                    continue  # a first sync has no stored copy to close
                raw.append(_Ticket.of(ticket))
            after_cursor = getattr(export, "after_cursor", None) or self.after_cursor
            org_ids = {t.organization_id for t in raw if t.organization_id}
            accounts = self._organizations(org_ids, batch.problems, raw)
        for ticket in raw:
            if not ticket.organization_id:
                self.skipped += 1
                continue
            account_id = accounts.get(ticket.organization_id)
            if account_id is None:
                continue  # its organization's problem is already reported once
            try:
                batch.tickets.append(self._ticket(ticket, account_id))
            except (ValidationError, ValueError) as exc:
                reason = describe_error(exc) if isinstance(exc, ValidationError) else str(exc)
                batch.problems.append(Problem(f"zendesk ticket {ticket.id}", reason))
        batch.cursor = {"after_cursor": after_cursor}
        return batch

    def _organizations(self, ids: set[int], problems: list[Problem], tickets: list[_Ticket]) -> dict[int, str]:
        per_org = Counter(t.organization_id for t in tickets)
        found: dict[int, str] = {}
        seen: set[int] = set()
        ordered = sorted(ids)
        for i in range(0, len(ordered), SHOW_MANY):
            for org in self.client.organizations(ids=ordered[i : i + SHOW_MANY]):
                seen.add(org.id)
                account_id = self._account_of(org)
                if account_id is not None:
                    found[org.id] = account_id
                    continue
                problems.append(
                    Problem(
                        f"zendesk organization {org.id}", f"{org.name!r} matches no account ({per_org[org.id]} tickets)"
                    )
                )
        for missing in ids - seen:
            problems.append(Problem(f"zendesk organization {missing}", "not readable (deleted?)"))
        return found

    def _account_of(self, org: Any) -> str | None:
        known = self.accounts
        for how in self.config.match:
            if how == "map" and (mapped := self.config.account_map.get(str(org.id))):
                return mapped
            if how == "external_id" and org.external_id and (known is None or str(org.external_id) in known):
                return str(org.external_id)
            if how == "domain":
                for domain in org.domain_names or []:
                    if (account_id := self.by_domain.get(domain.lower())) is not None:
                        return account_id
        return None

    def _ticket(self, ticket: _Ticket, account_id: str) -> TicketRecord:
        status = "closed" if ticket.status == "deleted" else STATUSES.get(ticket.status or "")
        if status is None:
            raise ValueError(f"unknown status {ticket.status!r}")
        # The ticket has no solved time of its own; its last update is when it was solved or closed.
        closed_at = ticket.updated_at if status in ("solved", "closed") else None
        return TicketRecord(
            ticket_id=str(ticket.id),
            account_id=account_id,
            opened_at=ticket.created_at,
            closed_at=closed_at,
            priority=ticket.priority,
            status=status,
            subject=ticket.subject,
            body=ticket.description,
            csat=CSAT.get(ticket.score or ""),
        )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (APIException, ZenpyException, requests.RequestException) as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> SourceError:
        """A zenpy or requests failure as a SourceError that says what to do."""
        cfg = self.config
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        if status == 401:
            return SourceError(
                f"Zendesk refused the API token (401): check the token and that {cfg.email} is its agent's email"
            )
        if status == 403:
            return SourceError("Zendesk denied access (403): the incremental export needs an admin's API token")
        if status == 429 or isinstance(exc, RatelimitBudgetExceeded):
            return SourceError(f"Zendesk kept rate limiting beyond {cfg.rate_limit_budget_seconds}s of waiting")
        if status is not None:
            return SourceError(f"Zendesk answered {status}: {_detail(response)}")
        if isinstance(exc, requests.RequestException):
            return SourceError(f"cannot reach Zendesk at {self.host}: {exc}")
        return SourceError(f"Zendesk: {exc}")


def _detail(response: Any) -> str:
    try:
        return json.dumps(response.json())[:300]
    except ValueError:
        return str(response.text)[:300]


connector = ZendeskSource  # the kind's factory: (name, config, cursor, full, accounts)
