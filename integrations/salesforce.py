"""Salesforce CRM through simple-salesforce and SOQL: Accounts -> accounts, Contacts, open renewal
Opportunities, Users (owner and CSM emails).

A full sync reads every Account and Contact (and is `complete`: a contact missing from it has left).
An incremental one asks for what changed since the stored cursor (`SystemModstamp > cursor`), then
reads the Accounts those changes point to, so the batch always holds the accounts its contacts need.
Deleted contacts (the recycle bin, through queryAll) and contacts flagged as gone have left.

Authentication, in this order of precedence (see Config):
- session_id + instance_url: an OAuth access token (e.g. `sf org display`); it expires, nothing renews it.
- username + password + security_token: the SOAP login; domain "login" (production) or "test" (sandbox).
- consumer_key + consumer_secret: a connected app's OAuth client-credentials flow (its "Run As" user);
  needs domain set to the org's My Domain, e.g. "acme.my". With username + password (no token), the OAuth
  username-password flow of that app instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError, SalesforceExpiredSession
from urllib3.util.retry import Retry

from integrations.base import Problem, SourceBatch, SourceError
from integrations.files import describe_error
from integrations.records import AccountRecord, ContactRecord, ContactRole
from integrations.remote_api import RemoteApiConfig
from integrations.salesforce_throttle import ThrottledSession

KIND = "salesforce"
IDS_PER_QUERY = 200  # ids inlined in one SOQL IN (...): keeps the GET URL well under Salesforce's 16k limit
# Transactions that commit during a sync may carry a SystemModstamp from just before it started.
OVERLAP = timedelta(minutes=2)
CONTACT_FIELDS = ("Id", "AccountId", "FirstName", "LastName", "Email", "Phone", "Title", "IsDeleted", "SystemModstamp")
API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # field names go into SOQL: nothing else may
DEFAULT_ROLES: dict[str, ContactRole] = {
    "decision maker": "decision_maker",
    "economic buyer": "decision_maker",
    "executive sponsor": "decision_maker",
    "champion": "champion",
    "influencer": "influencer",
    "evaluator": "influencer",
    "technical buyer": "influencer",
    "user": "user",
    "business user": "user",
    "end user": "user",
    "detractor": "detractor",
    "blocker": "detractor",
}


class Config(RemoteApiConfig):
    instance_url: str | None = None  # https://acme.my.salesforce.com, with session_id
    session_id: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    # JWT bearer flow: the PEM private key whose certificate is uploaded to the connected app, with
    # username and consumer_key. No password is stored, and the integration user needs no security token.
    private_key: SecretStr | None = None
    domain: str = "login"  # "test" for a sandbox; the My Domain ("acme.my") for client credentials
    api_version: str = "59.0"
    currency: str | None = None  # the org's corporate currency
    currency_field: str | None = None  # CurrencyIsoCode in a multi-currency org
    # Account fields (custom ones, e.g. CSM__c, unless the standard one fits).
    arr_field: str = "AnnualRevenue"
    csm_field: str | None = None  # a User lookup; OwnerId is the AM
    renewal_field: str | None = None  # a date; when empty, the earliest open renewal Opportunity's CloseDate
    plan_field: str | None = None
    seats_field: str | None = None
    segment_field: str | None = None
    renewal_types: list[str] = Field(default_factory=lambda: ["Renewal", "Existing Business"])
    # Contact fields.
    role_field: str | None = None  # a picklist or multi-select picklist, mapped through role_values
    role_values: dict[str, ContactRole] = Field(default_factory=lambda: dict(DEFAULT_ROLES))
    key_field: str | None = None  # a checkbox: true marks a key stakeholder
    left_field: str | None = None  # a checkbox or picklist: "no longer at company"
    left_values: list[str] = Field(default_factory=lambda: ["true", "yes", "1", "left"])
    max_retries: int = Field(4, ge=0, le=10)
    retry_backoff: float = Field(2.0, ge=0)

    @field_validator(
        "currency_field", "arr_field", "csm_field", "renewal_field", "plan_field", "seats_field", "segment_field",
        "role_field", "key_field", "left_field",
    )  # fmt: skip
    @classmethod
    def _api_name(cls, value: str | None) -> str | None:
        if value is not None and not API_NAME.match(value):
            raise ValueError(f"{value!r} is not a Salesforce field API name")
        return value

    @model_validator(mode="after")
    def _one_login(self) -> Config:
        if self.session_id and self.instance_url:
            return self
        if self.username and self.consumer_key and self.private_key:
            if "PRIVATE KEY-----" not in self.private_key.get_secret_value():
                raise ValueError("private_key must be the PEM text of the connected app's private key")
            return self
        if self.username and self.password and (self.security_token or self.consumer_key):
            return self
        if self.consumer_key and self.consumer_secret:
            return self
        raise ValueError(
            "give session_id + instance_url, username + password + security_token, username + consumer_key + "
            "private_key (JWT bearer), or consumer_key + consumer_secret"
        )


def connector(name: str, config: Config, cursor: dict[str, Any] | None, full: bool = False) -> SalesforceSource:
    return SalesforceSource(name, config, cursor, full)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _soql_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    ordered = sorted(set(items))
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


def _domain(website: str | None) -> str | None:
    """'https://www.acme.example/about' -> 'acme.example'."""
    if not website or not website.strip():
        return None
    text = website.strip()
    host = urlsplit(text if "://" in text else "//" + text).hostname or ""
    return host.removeprefix("www.") or None


class SalesforceSource:
    def __init__(self, name: str, config: Config, cursor: dict[str, Any] | None, full: bool) -> None:
        self.name = name
        self.config = config
        self.since = None if full or not cursor or not cursor.get("since") else datetime.fromisoformat(cursor["since"])
        self.session = ThrottledSession(config.max_retries, config.retry_backoff)
        # 5xx are retried by urllib3; throttling by ThrottledSession.
        adapter = HTTPAdapter(
            max_retries=Retry(
                total=config.max_retries,
                backoff_factor=config.retry_backoff,
                status_forcelist=(500, 502, 503, 504),
                allowed_methods={"GET"},
                raise_on_status=False,
            )
        )
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self._sf: Salesforce | None = None

    @property
    def requests(self) -> int:
        return self.session.count

    @property
    def sf(self) -> Salesforce:
        """Signs in on first use: a password or client-credentials login is itself a request that may fail."""
        if self._sf is None:
            cfg = self.config
            secret = {
                k: v.get_secret_value()
                for k, v in {
                    "session_id": cfg.session_id if cfg.instance_url else None,
                    "password": cfg.password,
                    "security_token": cfg.security_token,
                    "consumer_key": cfg.consumer_key,
                    "consumer_secret": cfg.consumer_secret,
                    "privatekey": cfg.private_key,
                }.items()
                if v is not None
            }
            if "session_id" in secret:  # a given session wins: don't also try a login
                options: dict[str, Any] = {"session_id": secret["session_id"], "instance_url": cfg.instance_url}
            else:
                options = {k: v for k, v in secret.items() if k != "session_id"}
                if cfg.username:
                    options["username"] = cfg.username
            self._sf = Salesforce(**options, domain=cfg.domain, version=cfg.api_version, session=self.session)
        return self._sf

    # -- transport ---------------------------------------------------------------------------------

    def _query(self, soql: str, deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Every record of a SOQL query, page by page (query_all_iter follows nextRecordsUrl)."""
        try:
            for record in self.sf.query_all_iter(soql, include_deleted=deleted, timeout=self.config.timeout_seconds):
                yield dict(record)
        except (SalesforceError, requests.RequestException) as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> SourceError:
        cfg = self.config
        if isinstance(exc, SalesforceAuthenticationFailed):
            how = (
                "username, consumer key and private key (and that the user is pre-authorized for the app)"
                if cfg.private_key
                else "consumer key and secret"
                if cfg.consumer_key
                else "username, password and security token"
            )
            return SourceError(
                f"Salesforce refused the login ({exc.code}: {exc.auth_message}): check the {how} and domain "
                f"{cfg.domain!r}"
            )
        if isinstance(exc, SalesforceExpiredSession):
            return SourceError(
                "Salesforce refused the session (401 INVALID_SESSION_ID): it expired or was revoked. "
                "Issue a new session id, or configure a login (username/password/token or a consumer key)"
            )
        if isinstance(exc, SalesforceError):
            text = str(exc.content)
            if "REQUEST_LIMIT_EXCEEDED" in text or exc.status == 429:
                return SourceError(
                    f"Salesforce kept refusing with REQUEST_LIMIT_EXCEEDED after {cfg.max_retries} retries: "
                    "the org's API request limit is used up; try again later"
                )
            if exc.status == 403:
                return SourceError(
                    "Salesforce denied access (403): the user needs API Enabled and read access to "
                    "Account, Contact, Opportunity and User"
                )
            if exc.status == 400 and "INVALID_FIELD" in text:
                return SourceError(f"Salesforce rejected a configured field name: {text[:300]}")
            return SourceError(f"Salesforce answered {exc.status}: {text[:300]}")
        return SourceError(f"cannot reach Salesforce: {exc}")

    # -- the sync ----------------------------------------------------------------------------------

    def test(self) -> str:
        accounts = next(self._query("SELECT Id FROM Account LIMIT 1"), None)
        users = sum(1 for _ in self._query("SELECT Id FROM User WHERE UserType = 'Standard' LIMIT 100"))
        seen = "some" if accounts else "none yet"
        return f"Salesforce at {self.sf.sf_instance}: accounts readable ({seen}), {users} users visible"

    def load(self) -> SourceBatch:
        started = datetime.now(UTC)
        batch = SourceBatch()
        users = {u["Id"]: u["Email"] for u in self._query("SELECT Id, Email FROM User WHERE UserType = 'Standard'")}
        if self.since is None:
            accounts, contacts = self._full()
            batch.complete = {"accounts", "contacts"}
        else:
            accounts, contacts = self._incremental(self.since)
        renewals = self._renewals(accounts) if self.config.renewal_types else {}
        for account in accounts.values():
            try:
                batch.accounts.append(self._account(account, users, renewals))
            except (ValidationError, ValueError) as exc:
                batch.problems.append(Problem(f"salesforce account {account['Id']}", _reason(exc)))
        known = {a.account_id for a in batch.accounts}
        for contact in contacts:
            where = f"salesforce contact {contact['Id']}"
            if contact["AccountId"] not in known:
                reason = f"its account {contact['AccountId']} is not readable (deleted?)"
                batch.problems.append(Problem(where, reason, contact_id=str(contact["Id"])))
                continue
            try:
                batch.contacts.append(self._contact(contact))
            except (ValidationError, ValueError) as exc:
                batch.problems.append(Problem(where, _reason(exc), contact_id=str(contact["Id"])))
        batch.cursor = {"since": (started - OVERLAP).isoformat()}
        return batch

    def _full(self) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        accounts = {a["Id"]: a for a in self._query(self._account_soql(""))}
        contacts = list(self._query(self._contact_soql("")))
        contacts += self._query(self._contact_soql("AND IsDeleted = true"), deleted=True)
        return accounts, contacts

    def _incremental(self, since: datetime) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        changed = f"SystemModstamp > {_soql_time(since)}"
        accounts = {a["Id"]: a for a in self._query(self._account_soql(f"WHERE {changed}"))}
        types = ", ".join(_quote(t) for t in self.config.renewal_types)
        # A renewal opportunity opened, moved or closed changes its account's renewal date.
        touched = {
            o["AccountId"]
            for o in self._query(
                f"SELECT AccountId FROM Opportunity WHERE {changed} AND Type IN ({types}) AND AccountId != null"
            )
        }
        contacts = list(self._query(self._contact_soql(f"AND {changed}")))
        contacts += self._query(self._contact_soql(f"AND IsDeleted = true AND {changed}"), deleted=True)
        touched |= {c["AccountId"] for c in contacts}
        for chunk in _chunks(touched - accounts.keys(), IDS_PER_QUERY):
            ids = ", ".join(_quote(i) for i in chunk)
            accounts.update((a["Id"], a) for a in self._query(self._account_soql(f"WHERE Id IN ({ids})")))
        return accounts, contacts

    # -- mapping -----------------------------------------------------------------------------------

    def _account_soql(self, where: str) -> str:
        cfg = self.config
        extra = [cfg.arr_field, cfg.csm_field, cfg.renewal_field, cfg.plan_field, cfg.seats_field,
                 cfg.segment_field, cfg.currency_field]  # fmt: skip
        fields = ", ".join(dict.fromkeys(["Id", "Name", "Website", "OwnerId", *[f for f in extra if f]]))
        return f"SELECT {fields} FROM Account {where}".strip()

    def _contact_soql(self, where: str) -> str:
        cfg = self.config
        extra = [f for f in (cfg.role_field, cfg.key_field, cfg.left_field) if f]
        fields = ", ".join(dict.fromkeys([*CONTACT_FIELDS, *extra]))
        return f"SELECT {fields} FROM Contact WHERE AccountId != null {where}".strip()

    def _renewals(self, accounts: dict[str, dict[str, Any]]) -> dict[str, date]:
        """The earliest CloseDate of each account's open renewal opportunities."""
        types = ", ".join(_quote(t) for t in self.config.renewal_types)
        soql = f"SELECT AccountId, CloseDate FROM Opportunity WHERE IsClosed = false AND Type IN ({types})"
        if self.since is None:
            rows: Iterable[dict[str, Any]] = self._query(soql + " AND AccountId != null")
        else:  # only the accounts in this batch: an org's open pipeline can be large
            rows = (
                row
                for chunk in _chunks(accounts, IDS_PER_QUERY)
                for row in self._query(soql + f" AND AccountId IN ({', '.join(_quote(i) for i in chunk)})")
            )
        found: dict[str, date] = {}
        for row in rows:
            if not row.get("CloseDate"):
                continue
            when, account_id = date.fromisoformat(row["CloseDate"]), row["AccountId"]
            if account_id not in found or when < found[account_id]:
                found[account_id] = when
        return found

    def _account(self, a: dict[str, Any], users: dict[str, str], renewals: dict[str, date]) -> AccountRecord:
        cfg, account_id = self.config, a["Id"]
        renewal = (a.get(cfg.renewal_field) if cfg.renewal_field else None) or renewals.get(account_id)
        seats = a.get(cfg.seats_field) if cfg.seats_field else None
        return AccountRecord(
            account_id=account_id,
            name=a.get("Name"),
            domain=_domain(a.get("Website")),
            am_email=users.get(a.get("OwnerId") or ""),
            csm_email=users.get(a.get(cfg.csm_field) or "") if cfg.csm_field else None,
            arr=a.get(cfg.arr_field),
            currency=a.get(cfg.currency_field) if cfg.currency_field else cfg.currency,
            plan=a.get(cfg.plan_field) if cfg.plan_field else None,
            seats_purchased=int(seats) if seats is not None else None,
            renewal_date=renewal,
            segment=a.get(cfg.segment_field) if cfg.segment_field else None,
            crm_url=f"https://{self.sf.sf_instance}/lightning/r/Account/{account_id}/view",
        )

    def _contact(self, c: dict[str, Any]) -> ContactRecord:
        cfg = self.config
        roles = {k.lower(): r for k, r in cfg.role_values.items()}
        chosen = [v.strip().lower() for v in str(c.get(cfg.role_field) or "").split(";")] if cfg.role_field else []
        role = next((roles[v] for v in chosen if v in roles), None)
        flag = str(c.get(cfg.left_field) or "").strip().lower() if cfg.left_field else ""
        left = bool(c.get("IsDeleted")) or (flag != "" and flag in {v.lower() for v in cfg.left_values})
        is_key = str(c.get(cfg.key_field) or "").strip().lower() in ("true", "yes", "1") if cfg.key_field else False
        name = " ".join(x for x in (c.get("FirstName"), c.get("LastName")) if x)
        return ContactRecord(
            contact_id=c["Id"],
            account_id=c["AccountId"],
            name=name or None,
            email=c.get("Email"),
            phone=c.get("Phone"),
            title=c.get("Title"),
            role=role,
            is_key=is_key,
            status="left" if left else "active",
            updated_at=c.get("SystemModstamp"),
        )


def _reason(exc: Exception) -> str:
    return describe_error(exc) if isinstance(exc, ValidationError) else str(exc)
