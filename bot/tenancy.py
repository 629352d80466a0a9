"""Per-organization isolation in the database itself.

On PostgreSQL every organization-owned table gets a Row Level Security policy: a row is visible (and
writable) only when its org_id equals the transaction's `app.org_id` setting. The application runs as a
role that is neither superuser nor table owner (`TANDEM_DATABASE_ROLE`, default none: set it in
production), so the policies bind it; without the setting a query sees nothing. SQLite, the embedded
single-organization default, relies on the membership check alone.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.orm import Session

from bot.models import Base

POLICY = "tandem_org_isolation"
# Routing tables are read before the organization is known (which org owns this Slack workspace?);
# they hold ids, no customer data.
ROUTING_TABLES = frozenset({"chat_links"})
ORG_EXPR = "org_id = NULLIF(current_setting('app.org_id', true), '')::integer"
# Tables read before an organization is known, but written only by (or about) one organization: any role
# reads them; a row changes only in its own organization's scope (column: which one it belongs to).
DIRECTORY_TABLES = {"chat_links": "org_id", "organizations": "id"}
# Global by design, without row security: `chat_installations` (a Slack install arrives before any
# organization is linked to it; its tokens are encrypted) and APScheduler's job table, tandem_scheduler_jobs
# (the leader plans every organization's jobs; it holds job ids, triggers and organization ids, no customer data).
READ_POLICY, CREATE_POLICY = "tandem_directory_read", "tandem_directory_create"


def org_owned_tables() -> list[str]:
    return [t.name for t in Base.metadata.sorted_tables if "org_id" in t.columns and t.name not in ROUTING_TABLES]


def scope_session(session: Session, org_id: int) -> None:
    """Restrict the current transaction to one organization (a no-op on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT set_config('app.org_id', :org, true)"), {"org": str(org_id)})


def apply_row_level_security(engine: Engine, app_role: str | None) -> None:
    """Idempotently enable RLS with the isolation policy on every org-owned table, and grant the app role.

    Run after migrations (by `Database.migrate`), so tables added by any later revision are covered.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        existing = set(inspect(conn).get_table_names())
        for table in org_owned_tables():
            if table not in existing:
                continue
            conn.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
            if not _has_policy(conn, table):
                conn.execute(text(f'CREATE POLICY {POLICY} ON "{table}" USING ({ORG_EXPR}) WITH CHECK ({ORG_EXPR})'))
        for table, column in DIRECTORY_TABLES.items():
            if table in existing:
                _directory_policies(conn, table, column)
        if app_role:
            _ensure_role(conn, app_role)


def _directory_policies(conn: Connection, table: str, column: str) -> None:
    own = ORG_EXPR.replace("org_id", column, 1)
    conn.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
    if not _has_policy(conn, table, READ_POLICY):
        conn.execute(text(f'CREATE POLICY {READ_POLICY} ON "{table}" FOR SELECT USING (true)'))
    if table == "organizations" and not _has_policy(conn, table, CREATE_POLICY):
        # A new organization has no scope yet: creating one is allowed, changing another's is not.
        conn.execute(text(f'CREATE POLICY {CREATE_POLICY} ON "{table}" FOR INSERT WITH CHECK (true)'))
    if not _has_policy(conn, table):
        conn.execute(text(f'CREATE POLICY {POLICY} ON "{table}" USING ({own}) WITH CHECK ({own})'))


def _has_policy(conn: Connection, table: str, policy: str = POLICY) -> bool:
    return bool(
        conn.scalar(
            text("SELECT 1 FROM pg_policies WHERE tablename = :t AND policyname = :p"),
            {"t": table, "p": policy},
        )
    )


def _ensure_role(conn: Connection, role: str) -> None:
    if not role.replace("_", "").isalnum():
        raise ValueError(f"TANDEM_DATABASE_ROLE {role!r} must be a plain identifier")
    if not conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
        conn.execute(text(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    # The login user runs as the app role (SET ROLE) for everything but migrations.
    conn.execute(text(f"GRANT {role} TO CURRENT_USER"))
