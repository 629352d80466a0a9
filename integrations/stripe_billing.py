"""Stripe billing through the `stripe` package: invoices (and, optionally, subscription facts on accounts).

A customer becomes a Tandem account through an explicit map, its `metadata.tandem_account`, or its
`metadata.domain` (never its email's domain: a billing contact's mailbox says little about the account).
A full sync lists invoices and subscriptions with auto-pagination; an incremental one reads the invoice
and subscription events created since the stored cursor, which also carries status changes (open ->
paid) that a `created` filter on invoices alone would miss.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import requests
import stripe
from pydantic import Field, SecretStr, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from integrations.base import Problem, SourceBatch, SourceError
from integrations.files import describe_error
from integrations.records import AccountRecord, InvoiceRecord
from integrations.remote_api import AccountMatchedSource, RemoteApiConfig

KIND = "stripe"
PAGE = 100
EVENT_TYPES = ["invoice.*", "customer.subscription.*"]
LIVE_SUBSCRIPTIONS = {"active", "trialing", "past_due", "unpaid"}
# Amounts are in the currency's smallest unit, except for these (no minor unit).
ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}
PER_YEAR = {"day": 365, "week": 52, "month": 12, "year": 1}
Match = Literal["map", "metadata", "domain"]
DEFAULT_MATCH: list[Match] = ["map", "metadata", "domain"]


class Config(RemoteApiConfig):
    api_key: SecretStr  # a restricted key reading Customers, Subscriptions, Invoices and Events
    base_url: str | None = None  # default https://api.stripe.com
    match: list[Match] = Field(default_factory=lambda: list(DEFAULT_MATCH))
    account_map: dict[str, str] = Field(default_factory=dict)  # Stripe customer id -> account id
    account_metadata_key: str = "tandem_account"
    domain_metadata_key: str = "domain"
    # Off by default: account records replace every column, so only a source that is the accounts'
    # master (no CRM) should write plan/seats/renewal/ARR from subscriptions.
    accounts_from_subscriptions: bool = False
    history_days: int = Field(730, gt=0)  # how far back a full sync lists invoices
    max_retries: int = Field(4, ge=0, le=10)


class StripeSource(AccountMatchedSource[Config]):
    def resume(self, cursor: dict[str, Any] | None) -> None:
        self.since: int | None = int(cursor["created"]) if cursor and "created" in cursor else None

    def connect(self) -> None:
        config = self.config
        self.requests = 0
        # Stripe's client retries 5xx, 409 and network errors itself (max_network_retries) but not a
        # plain 429: the session's urllib3 retry waits those out, honouring Retry-After.
        session = requests.Session()
        adapter = HTTPAdapter(
            max_retries=Retry(
                total=config.max_retries,
                connect=0,  # network errors are Stripe's own retries' to handle: not both, multiplied
                read=0,
                other=0,
                backoff_factor=config.retry_backoff,
                status_forcelist=(429,),
                allowed_methods={"GET"},
                respect_retry_after_header=True,
                raise_on_status=False,
            )
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.hooks["response"].append(self._count)
        options: dict[str, Any] = {}
        if config.base_url:
            options["base_addresses"] = {"api": config.base_url.rstrip("/")}
        self.client = stripe.StripeClient(
            config.api_key.get_secret_value(),
            max_network_retries=config.max_retries,
            http_client=stripe.RequestsClient(session=session, timeout=config.timeout_seconds),
            **options,
        )
        self._customers: dict[str, dict[str, Any]] = {}

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.requests += 1

    def test(self) -> str:
        with _errors():
            page = self.client.v1.customers.list(params={"limit": 1})
        return f"Stripe: customers readable ({'some' if page.data else 'none yet'})"

    def load(self) -> SourceBatch:
        started = int(datetime.now(UTC).timestamp())
        batch = SourceBatch()
        with _errors():
            if self.since is None:
                invoices, subscriptions, cursor = self._full(), self._subscriptions(None), started
            else:
                invoices, subscriptions, cursor = self._changes(self.since)
            unmatched: dict[str, int] = {}
            for invoice in invoices:
                if invoice.get("status") == "draft":
                    continue  # not issued yet
                account_id = self._account_of(invoice.get("customer"), unmatched)
                if account_id is not None:
                    self._invoice(invoice, account_id, batch)
            if self.config.accounts_from_subscriptions:
                self._account_facts(subscriptions, batch, unmatched)
        for customer_id, count in sorted(unmatched.items()):
            batch.problems.append(Problem(f"stripe customer {customer_id}", f"matches no account ({count} records)"))
        batch.cursor = {"created": cursor}
        return batch

    # -- reading -----------------------------------------------------------------------------------

    def _full(self) -> list[dict[str, Any]]:
        start = datetime.now(UTC) - timedelta(days=self.config.history_days)
        params = {"limit": PAGE, "created": {"gte": int(start.timestamp())}, "expand": ["data.customer"]}
        return [i.to_dict() for i in self.client.v1.invoices.list(params=params).auto_paging_iter()]  # type: ignore[arg-type]

    def _subscriptions(self, customer: str | None) -> list[dict[str, Any]]:
        if not self.config.accounts_from_subscriptions:
            return []
        params: dict[str, Any] = {"limit": PAGE, "status": "all", "expand": ["data.customer"]}
        if customer:
            params["customer"] = customer
        return [s.to_dict() for s in self.client.v1.subscriptions.list(params=params).auto_paging_iter()]  # type: ignore[arg-type]

    def _changes(self, since: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        """The latest state of every invoice and subscription an event touched since the cursor."""
        params = {"limit": PAGE, "created": {"gte": since}, "types": EVENT_TYPES}
        latest: dict[str, dict[str, Any]] = {}
        newest = since
        for event in self.client.v1.events.list(params=params).auto_paging_iter():  # type: ignore[arg-type]
            newest = max(newest, int(event.created))
            obj = event.data.object.to_dict() if hasattr(event.data.object, "to_dict") else dict(event.data.object)
            latest.setdefault(obj["id"], obj)  # events come newest first
        invoices = [o for o in latest.values() if o.get("object") == "invoice"]
        touched = {_id(o.get("customer")) for o in latest.values() if o.get("object") == "subscription"}
        subscriptions = [s for c in sorted(t for t in touched if t) for s in self._subscriptions(c)]
        return invoices, subscriptions, newest

    def _customer(self, ref: Any) -> dict[str, Any] | None:
        if isinstance(ref, dict):
            self._customers[ref["id"]] = ref
            return ref
        if not ref:
            return None
        if ref not in self._customers:
            self._customers[ref] = self.client.v1.customers.retrieve(ref).to_dict()
        return self._customers[ref]

    def _account_of(self, ref: Any, unmatched: dict[str, int]) -> str | None:
        customer = self._customer(ref)
        if customer is None:
            return None
        found = None if customer.get("deleted") else self._match(customer)
        if found is None:
            unmatched[customer["id"]] = unmatched.get(customer["id"], 0) + 1
        return found

    def _match(self, customer: dict[str, Any]) -> str | None:
        cfg, metadata = self.config, customer.get("metadata") or {}
        for how in cfg.match:
            candidate = None
            if how == "map":
                candidate = cfg.account_map.get(customer["id"])
            elif how == "metadata":
                candidate = metadata.get(cfg.account_metadata_key)
                if candidate and self.accounts is not None and candidate not in self.accounts:
                    candidate = None
            elif how == "domain" and (domain := metadata.get(cfg.domain_metadata_key)):
                candidate = self.by_domain.get(str(domain).strip().lower())
            if candidate:
                return str(candidate)
        return None

    # -- mapping -----------------------------------------------------------------------------------

    def _invoice(self, invoice: dict[str, Any], account_id: str, batch: SourceBatch) -> None:
        transitions = invoice.get("status_transitions") or {}
        due = _day(invoice.get("due_date"))
        try:
            batch.invoices.append(
                InvoiceRecord(
                    invoice_id=invoice["id"],
                    account_id=account_id,
                    issued_at=_day(transitions.get("finalized_at") or invoice.get("created")),
                    due_at=due,
                    paid_at=_day(transitions.get("paid_at")),
                    amount=_money(invoice.get("amount_due"), invoice.get("currency")),
                    currency=invoice.get("currency"),
                    status=_invoice_status(invoice, due),
                )
            )
        except ValidationError as exc:
            batch.problems.append(Problem(f"stripe invoice {invoice.get('id')}", describe_error(exc)))

    def _account_facts(
        self, subscriptions: Iterable[dict[str, Any]], batch: SourceBatch, unmatched: dict[str, int]
    ) -> None:
        """One account record per matched customer from its live subscriptions."""
        by_account: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        for sub in subscriptions:
            account_id = self._account_of(sub.get("customer"), unmatched)
            if account_id is None:
                continue
            customer = self._customer(sub.get("customer")) or {}
            entry = by_account.setdefault(account_id, (customer, []))
            if sub.get("status") in LIVE_SUBSCRIPTIONS:
                entry[1].append(sub)
        for account_id, (customer, live) in by_account.items():
            items = [i for s in live for i in (s.get("items") or {}).get("data", [])]
            ends = [
                _day(
                    s.get("current_period_end") or min((i.get("current_period_end") or 0 for i in items), default=None)
                )
                for s in live
            ]
            arr = sum((_yearly(i) for i in items), Decimal(0))
            currency = next((i["price"].get("currency") for i in items if i.get("price")), None)
            try:
                batch.accounts.append(
                    AccountRecord(
                        account_id=account_id,
                        name=customer.get("name") or customer.get("email") or account_id,
                        domain=(customer.get("metadata") or {}).get(self.config.domain_metadata_key),
                        plan=next((_plan(i) for i in items), None),
                        seats_purchased=sum(i.get("quantity") or 0 for i in items) if items else None,
                        renewal_date=min((e for e in ends if e), default=None),
                        arr=_money(int(arr), currency) if items else None,
                        currency=currency,
                    )
                )
            except ValidationError as exc:
                batch.problems.append(Problem(f"stripe customer {customer.get('id')}", describe_error(exc)))


def _invoice_status(invoice: dict[str, Any], due: date | None) -> str | None:
    status = invoice.get("status")
    if status == "open":
        if invoice.get("attempt_count") and invoice.get("collection_method") == "charge_automatically":
            return "failed"  # the automatic charge was declined
        return "overdue" if due and due < datetime.now(UTC).date() else "open"
    return {"paid": "paid", "void": "void", "uncollectible": "failed"}.get(status or "")


def _yearly(item: dict[str, Any]) -> Decimal:
    """An item's amount per year, in minor units; metered prices have no fixed amount."""
    price = item.get("price") or {}
    recurring = price.get("recurring") or {}
    if recurring.get("usage_type") == "metered" or price.get("unit_amount") is None:
        return Decimal(0)
    per_year = Decimal(PER_YEAR.get(recurring.get("interval", "year"), 1)) / Decimal(
        recurring.get("interval_count") or 1
    )
    return Decimal(price["unit_amount"]) * Decimal(item.get("quantity") or 1) * per_year


def _plan(item: dict[str, Any]) -> str | None:
    price = item.get("price") or {}
    return price.get("nickname") or price.get("lookup_key") or _id(price.get("product")) or price.get("id")


def _id(ref: Any) -> str | None:
    return ref.get("id") if isinstance(ref, dict) else ref


def _day(timestamp: int | None) -> date | None:
    return datetime.fromtimestamp(timestamp, UTC).date() if timestamp else None


def _money(amount: int | None, currency: str | None) -> Decimal | None:
    if amount is None:
        return None
    return Decimal(amount) if (currency or "").lower() in ZERO_DECIMAL else Decimal(amount) / 100


class _errors:
    """Stripe's exceptions as a SourceError that says what to do."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, stripe.AuthenticationError):
            raise SourceError(
                "Stripe refused the API key (401): check it is a live secret or restricted key (sk_/rk_) "
                "with read access to Customers, Subscriptions, Invoices and Events"
            ) from exc
        if isinstance(exc, stripe.PermissionError):
            raise SourceError(
                f"Stripe denied access (403): the restricted key lacks a read permission ({exc.user_message})"
            ) from exc
        if isinstance(exc, stripe.RateLimitError):
            raise SourceError("Stripe kept rate limiting (429) after every retry") from exc
        if isinstance(exc, stripe.APIConnectionError):
            raise SourceError(f"cannot reach Stripe: {exc.user_message}") from exc
        if isinstance(exc, stripe.StripeError):
            raise SourceError(f"Stripe answered {exc.http_status}: {exc.user_message}") from exc


connector = StripeSource  # the kind's factory: (name, config, cursor, full, accounts)
