"""HubSpot CRM through hubspot-api-client: companies -> accounts, contacts, open renewal deals, owners.

A full sync lists every object (and is `complete`: a contact missing from it has left). An incremental
sync asks the search API for what changed since the stored cursor, then reads whatever those changes
need (the companies of changed contacts and deals, the deals of changed companies) so the batch always
holds the accounts its contacts point to. Archived contacts, and contacts flagged as gone, have left.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import hubspot.crm.associations.v4 as hs_assoc
import hubspot.crm.companies as hs_companies
import hubspot.crm.contacts as hs_contacts
import hubspot.crm.deals as hs_deals
import hubspot.crm.owners as hs_owners
import urllib3
from hubspot import HubSpot
from pydantic import Field, SecretStr, ValidationError
from urllib3.util.retry import Retry

from integrations.base import Problem, SourceBatch, SourceError
from integrations.hubspot_payloads import associated, epoch_ms, next_after, parse_when, reason_of, whole_number
from integrations.records import AccountRecord, ContactRecord, ContactRole
from integrations.remote_api import RemoteApiConfig

KIND = "hubspot"
PAGE = 100  # list and batch-read endpoints take at most 100 ids/objects per call
SEARCH_PAGE = 200  # the search API's maximum page
SEARCH_WINDOW = 10_000  # search pages stop there: past it, restart from the last modified date seen
ASSOC_BATCH = 1000
# The search index lags writes by seconds: start the next window a little before this sync began.
OVERLAP = timedelta(minutes=2)
MODIFIED = {"companies": "hs_lastmodifieddate", "contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}
SCOPES = {
    "companies": "crm.objects.companies.read",
    "contacts": "crm.objects.contacts.read",
    "deals": "crm.objects.deals.read",
    "owners": "crm.objects.owners.read",
    "associations": "crm.objects.contacts.read",
}
API_ERRORS = tuple(m.ApiException for m in (hs_companies, hs_contacts, hs_deals, hs_owners, hs_assoc))
# hs_buying_role (HubSpot's standard multi-select) -> contract roles; the first match in this order wins.
DEFAULT_ROLES: dict[str, ContactRole] = {
    "DECISION_MAKER": "decision_maker",
    "BUDGET_HOLDER": "decision_maker",
    "EXECUTIVE_SPONSOR": "decision_maker",
    "CHAMPION": "champion",
    "BLOCKER": "detractor",
    "INFLUENCER": "influencer",
    "END_USER": "user",
}


class Config(RemoteApiConfig):
    access_token: SecretStr  # a private app token
    base_url: str | None = None  # default https://api.hubapi.com
    portal_id: str | None = None  # builds crm_url links when given
    currency: str | None = None  # the portal's company currency
    # Company properties (custom ones unless HubSpot has a standard one).
    arr_property: str = "arr"
    plan_property: str = "plan"
    seats_property: str | None = "seats"
    renewal_property: str = "renewal_date"
    csm_owner_property: str = "csm_owner"  # an owner-type property; hubspot_owner_id is the AM
    segment_property: str | None = None
    # Contact properties.
    role_property: str = "hs_buying_role"
    role_values: dict[str, ContactRole] = Field(default_factory=lambda: dict(DEFAULT_ROLES))
    key_property: str | None = "tandem_key_contact"  # a checkbox: true marks a key stakeholder
    left_property: str | None = "left_company"
    left_values: list[str] = Field(default_factory=lambda: ["true", "yes", "1", "left"])
    # Deals that carry a renewal date when the company has none: open ones whose property is in these values.
    renewal_deal_property: str = "dealtype"
    renewal_deal_values: list[str] = Field(default_factory=lambda: ["renewal", "existingbusiness"])
    timeout_seconds: float = Field(30, gt=0)


def connector(name: str, config: Config, cursor: dict[str, Any] | None, full: bool = False) -> HubSpotSource:
    return HubSpotSource(name, config, cursor, full)


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _parse_date(value: str | None) -> date | None:
    """HubSpot dates come as '2026-11-22', an ISO datetime, or epoch milliseconds."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC).date()
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date() if "T" in value else date.fromisoformat(value)


class HubSpotSource:
    def __init__(self, name: str, config: Config, cursor: dict[str, Any] | None, full: bool) -> None:
        self.name = name
        self.config = config
        self.since = None if full or not cursor or not cursor.get("since") else datetime.fromisoformat(cursor["since"])
        self.requests = 0
        retry = Retry(
            total=config.max_retries,
            backoff_factor=config.retry_backoff,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,  # searches and batch reads are POSTs that only read
            respect_retry_after_header=True,
            raise_on_status=False,  # the last 429/5xx reaches us as an ApiException with its status
        )
        options: dict[str, Any] = {"access_token": config.access_token.get_secret_value(), "retry": retry}
        if config.base_url:
            options["host"] = config.base_url.rstrip("/")
        crm = HubSpot(**options).crm
        # Each property access builds a new ApiClient and connection pool: build them once.
        kinds = {"companies": crm.companies, "contacts": crm.contacts, "deals": crm.deals}
        self._basic = {k: d.basic_api for k, d in kinds.items()}
        self._search_api = {k: d.search_api for k, d in kinds.items()}
        self._batch = {k: d.batch_api for k, d in kinds.items()}
        self._owners_api = crm.owners.owners_api
        self._assoc = crm.associations.v4.batch_api
        self._host = config.base_url or "https://api.hubapi.com"

    # -- transport ---------------------------------------------------------------------------------

    def _call(self, what: str, fn: Any, **params: Any) -> Any:
        self.requests += 1
        try:
            # The raw response, parsed here: the generated models' deserializer (a dateutil parse per
            # timestamp) costs ten times the network time on a large portal. Errors still raise.
            raw = fn(**params, _preload_content=False, _request_timeout=self.config.timeout_seconds)
            try:
                return json.loads(raw.data)
            finally:
                raw.release_conn()
        except API_ERRORS as exc:
            raise self._error(what, exc.status, exc.body) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise SourceError(f"cannot reach HubSpot at {self._host}: {exc}") from exc

    def _error(self, what: str, status: int | None, body: Any) -> SourceError:
        if status == 401:
            return SourceError(
                "HubSpot refused the access token (401): check it is valid and has the crm.objects.companies.read scope"
            )
        if status == 403:
            return SourceError(f"HubSpot denied access to {what} (403): the app needs the {SCOPES[what]} scope")
        if status == 429:
            return SourceError(f"HubSpot kept rate limiting (429) after {self.config.max_retries} retries")
        if status and status >= 500:
            return SourceError(f"HubSpot failed on {what} ({status}) after {self.config.max_retries} retries")
        return SourceError(f"HubSpot answered {status} on {what}: {str(body)[:300]}")

    def _pages(self, kind: str, **params: Any) -> Iterator[Any]:
        after = None
        while True:
            page = self._call(kind, self._basic[kind].get_page, limit=PAGE, after=after, **params)
            yield from page.get("results", [])
            after = next_after(page)
            if not after:
                return

    def _search(self, kind: str, since: datetime, properties: list[str], extra: list[dict[str, Any]]) -> Iterator[Any]:
        prop = MODIFIED[kind]
        floor = int(since.timestamp() * 1000)
        after: str | None = None
        while True:
            request = {
                "filterGroups": [{"filters": [{"propertyName": prop, "operator": "GTE", "value": str(floor)}, *extra]}],
                "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
                "properties": properties,
                "limit": SEARCH_PAGE,
                "after": after,
            }
            page = self._call(kind, self._search_api[kind].do_search, public_object_search_request=request)
            results = page.get("results", [])
            yield from results
            after = next_after(page)
            if not after:
                return
            if int(after) + SEARCH_PAGE > SEARCH_WINDOW:
                last = epoch_ms(results[-1]["properties"].get(prop)) if results else floor
                if last <= floor:
                    raise SourceError(f"over {SEARCH_WINDOW} HubSpot {kind} share one modified time: run a full sync")
                floor, after = last, None  # results are sorted: restart the window at the last one seen

    def _read(self, kind: str, ids: Iterable[str], properties: list[str]) -> list[Any]:
        out: list[Any] = []
        for chunk in _chunks(sorted(set(ids)), PAGE):
            body = {"properties": properties, "inputs": [{"id": i} for i in chunk]}
            out += self._call(kind, self._batch[kind].read, batch_read_input_simple_public_object_id=body)["results"]
        return out

    def _associations(self, source: str, target: str, ids: Iterable[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for chunk in _chunks(sorted(set(ids)), ASSOC_BATCH):
            page = self._call(
                "associations",
                self._assoc.get_page,
                from_object_type=source,
                to_object_type=target,
                batch_input_public_fetch_associations_batch_request={"inputs": [{"id": i} for i in chunk]},
            )
            for row in page.get("results", []):
                found[str(row["from"]["id"])] = [str(t["toObjectId"]) for t in row.get("to", [])]
        return found

    # -- the sync ----------------------------------------------------------------------------------

    def test(self) -> str:
        self._call("companies", self._basic["companies"].get_page, limit=1)
        owners = self._call("owners", self._owners_api.get_page, limit=100)
        return f"HubSpot at {self._host}: companies readable, {len(owners.get('results', []))}+ owners visible"

    def load(self) -> SourceBatch:
        started = datetime.now(UTC)
        batch = SourceBatch()
        owners = {str(o["id"]): o["email"] for o in self._owner_pages() if o.get("email")}
        if self.since is None:
            companies, contacts, renewals = self._full()
            batch.complete = {"accounts", "contacts"}
        else:
            companies, contacts, renewals = self._incremental(self.since)
        for company in companies.values():
            try:
                batch.accounts.append(self._account(company, owners, renewals))
            except (ValidationError, ValueError) as exc:
                batch.problems.append(Problem(f"hubspot company {company['id']}", reason_of(exc)))
        known = {a.account_id for a in batch.accounts}
        for contact, company_id in contacts:
            where = f"hubspot contact {contact['id']}"
            if company_id not in known:
                reason = f"its company {company_id} is not readable (deleted?)"
                batch.problems.append(Problem(where, reason, contact_id=str(contact["id"])))
                continue
            try:
                batch.contacts.append(self._contact(contact, company_id))
            except (ValidationError, ValueError) as exc:
                batch.problems.append(Problem(where, reason_of(exc), contact_id=str(contact["id"])))
        batch.cursor = {"since": (started - OVERLAP).isoformat()}
        return batch

    def _owner_pages(self) -> Iterator[Any]:
        after = None
        while True:
            page = self._call("owners", self._owners_api.get_page, limit=PAGE, after=after)
            yield from page.get("results", [])
            after = next_after(page)
            if not after:
                return

    def _full(self) -> tuple[dict[str, Any], list[tuple[Any, str]], dict[str, date]]:
        companies = {c["id"]: c for c in self._pages("companies", properties=self._company_props())}
        deals = [
            (d, associated(d, "companies"))
            for d in self._pages("deals", properties=self._deal_props(), associations=["companies"])
        ]
        renewals = self._renewals(deals)
        contacts: list[tuple[Any, str]] = []
        for archived in (False, True):
            for c in self._pages(
                "contacts", properties=self._contact_props(), associations=["companies"], archived=archived
            ):
                company_id = c["properties"].get("associatedcompanyid") or next(iter(associated(c, "companies")), None)
                if company_id:
                    contacts.append((c, str(company_id)))
        return companies, contacts, renewals

    def _incremental(self, since: datetime) -> tuple[dict[str, Any], list[tuple[Any, str]], dict[str, date]]:
        cfg = self.config
        companies = {c["id"]: c for c in self._search("companies", since, self._company_props(), [])}
        renewal_filter = {
            "propertyName": cfg.renewal_deal_property,
            "operator": "IN",
            "values": cfg.renewal_deal_values,
        }
        deal_ids = [d["id"] for d in self._search("deals", since, ["hs_lastmodifieddate"], [renewal_filter])]
        touched = {cid for ids in self._associations("deals", "companies", deal_ids).values() for cid in ids}
        changed = list(self._search("contacts", since, self._contact_props(), []))
        # Archived contacts are not searchable: list them and keep those archived since the cursor.
        changed += [
            c
            for c in self._pages("contacts", properties=self._contact_props(), archived=True)
            if not c.get("archivedAt") or parse_when(c["archivedAt"]) >= since
        ]
        orphans = [c["id"] for c in changed if not c["properties"].get("associatedcompanyid")]
        linked = self._associations("contacts", "companies", orphans) if orphans else {}
        contacts: list[tuple[Any, str]] = []
        for c in changed:
            company_id = c["properties"].get("associatedcompanyid") or next(iter(linked.get(c["id"], [])), None)
            if company_id:
                contacts.append((c, str(company_id)))
                touched.add(str(company_id))
        for c in self._read("companies", touched - companies.keys(), self._company_props()):
            companies[c["id"]] = c
        undated = [cid for cid, c in companies.items() if not c["properties"].get(cfg.renewal_property)]
        by_company = self._associations("companies", "deals", undated) if undated else {}
        company_of: dict[str, list[str]] = {}
        for cid, ids in by_company.items():
            for did in ids:
                company_of.setdefault(did, []).append(cid)
        deals = [(d, company_of.get(d["id"], [])) for d in self._read("deals", company_of, self._deal_props())]
        return companies, contacts, self._renewals(deals)

    # -- mapping -----------------------------------------------------------------------------------

    def _company_props(self) -> list[str]:
        cfg = self.config
        optional = [cfg.seats_property, cfg.segment_property]
        return ["name", "domain", "hubspot_owner_id", cfg.csm_owner_property, cfg.arr_property, cfg.plan_property,
                cfg.renewal_property, *[p for p in optional if p]]  # fmt: skip

    def _contact_props(self) -> list[str]:
        cfg = self.config
        optional = [cfg.key_property, cfg.left_property]
        return ["firstname", "lastname", "email", "phone", "jobtitle", "associatedcompanyid", "lastmodifieddate",
                cfg.role_property, *[p for p in optional if p]]  # fmt: skip

    def _deal_props(self) -> list[str]:
        return ["closedate", "hs_is_closed", "dealstage", self.config.renewal_deal_property]

    def _renewals(self, deals: Iterable[tuple[Any, list[str]]]) -> dict[str, date]:
        """The earliest close date of each company's open renewal deals."""
        cfg = self.config
        found: dict[str, date] = {}
        for deal, company_ids in deals:
            p = deal.get("properties") or {}
            if p.get(cfg.renewal_deal_property) not in cfg.renewal_deal_values or p.get("hs_is_closed") == "true":
                continue
            if p.get("dealstage") in ("closedwon", "closedlost"):
                continue
            try:
                when = _parse_date(p.get("closedate"))
            except ValueError:
                continue
            for cid in company_ids:
                if when and (cid not in found or when < found[cid]):
                    found[cid] = when
        return found

    def _account(self, company: Any, owners: dict[str, str], renewals: dict[str, date]) -> AccountRecord:
        cfg, p, company_id = self.config, company.get("properties") or {}, company["id"]
        renewal = _parse_date(p.get(cfg.renewal_property)) or renewals.get(company_id)
        url = f"https://app.hubspot.com/contacts/{cfg.portal_id}/company/{company_id}" if cfg.portal_id else None
        return AccountRecord(
            account_id=company_id,
            name=p.get("name") or p.get("domain"),
            domain=p.get("domain"),
            am_email=owners.get(p.get("hubspot_owner_id") or ""),
            csm_email=owners.get(p.get(cfg.csm_owner_property) or ""),
            arr=p.get(cfg.arr_property),
            currency=cfg.currency,
            plan=p.get(cfg.plan_property),
            seats_purchased=whole_number(p.get(cfg.seats_property)) if cfg.seats_property else None,
            renewal_date=renewal,
            segment=p.get(cfg.segment_property) if cfg.segment_property else None,
            crm_url=url,
        )

    def _contact(self, contact: Any, company_id: str) -> ContactRecord:
        cfg, p, archived = self.config, contact.get("properties") or {}, bool(contact.get("archived"))
        chosen = {v.strip().upper() for v in (p.get(cfg.role_property) or "").split(";") if v.strip()}
        role = next((r for k, r in cfg.role_values.items() if k.upper() in chosen), None)
        flag = (p.get(cfg.left_property) or "").strip().lower() if cfg.left_property else ""
        left = archived or (flag != "" and flag in {v.lower() for v in cfg.left_values})
        is_key = (p.get(cfg.key_property) or "").strip().lower() in ("true", "yes", "1") if cfg.key_property else False
        name = " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x)
        return ContactRecord(
            contact_id=contact["id"],
            account_id=company_id,
            name=name or None,
            email=p.get("email"),
            phone=p.get("phone"),
            title=p.get("jobtitle"),
            role=role,
            is_key=is_key,
            status="left" if left else "active",
            updated_at=(contact.get("archivedAt") if archived else None) or contact.get("updatedAt"),
        )
