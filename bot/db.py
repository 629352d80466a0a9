"""Engine, sessions and migrations. SQLite by default, PostgreSQL through TANDEM_DATABASE_URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

if TYPE_CHECKING:  # alembic is imported by the functions that migrate: most commands never do
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# The organization the current work is for (a job, a delivery, a request). Every transaction begun while it
# is set is restricted to it on PostgreSQL (row-level security reads `app.org_id`), so work done as the
# application's role sees and writes that organization's rows and no other's.
_org_scope: ContextVar[int | None] = ContextVar("tandem_org_scope", default=None)


@contextmanager
def org_scope(org_id: int) -> Iterator[None]:
    """Run the block's database work for one organization (nested scopes: the innermost wins)."""
    token = _org_scope.set(org_id)
    try:
        yield
    finally:
        _org_scope.reset(token)


def current_org_scope() -> int | None:
    return _org_scope.get()


def _scope_transaction(_session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    org_id = _org_scope.get()
    if org_id is not None and connection.dialect.name == "postgresql":
        connection.execute(text("SELECT set_config('app.org_id', :org, true)"), {"org": str(org_id)})


def normalize_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL's recommended durability: no fsync on every commit (an /account request writes its audit row), the
    # database stays consistent on power loss; only the last transactions before it may be lost.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLAlchemy, not the driver, starts transactions (see _begin_immediate).
    dbapi_connection.isolation_level = None


def _begin_immediate(conn: Any) -> None:
    """Every SQLite transaction takes the write lock when it starts. One that starts by reading (the driver
    opens none before a SELECT, but a savepoint does) and writes later fails at once ("database is locked",
    no waiting) when another thread wrote in between (WAL's stale snapshot): with several scheduler threads
    that lost most digests. Waiting for the lock (up to the 30 s timeout) serializes writers instead;
    SQLite has one writer at a time anyway."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


# A replica's connection demand at its peak: the scheduler's 10 job threads may each hold an organization
# claim, a delivery claim (held for the length of a send) and a session for the ledger, beside the leader
# lock and the web requests. The default pool (5 + 10) would make threads wait for each other's connections.
POOL_SIZE, POOL_OVERFLOW = 10, 30


def make_engine(url: str, role: str | None = None) -> Engine:
    """An engine; with `role`, every connection runs as that PostgreSQL role (bound by row security)."""
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    if role:
        if not role.replace("_", "").isalnum():
            raise ValueError(f"database role {role!r} must be a plain identifier")

        def _set_role(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET ROLE {role}")
            cursor.close()
            dbapi_connection.commit()

        event.listen(engine, "connect", _set_role)
    return engine


def describe(url: str) -> str:
    """A human description of where the data lives, without the password."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {Path(parsed.database or '').resolve()}"
    return f"PostgreSQL {parsed.render_as_string(hide_password=True)}"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (all heads: features may add branches)."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")


def is_migrated(engine: Engine) -> bool:
    return inspect(engine).has_table("organizations")


def schema_is_current(engine: Engine) -> bool:
    """The database is at every head revision this code knows (what /readyz checks)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(False))).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


class Database:
    """One engine and its session factory, passed explicitly to everything that needs storage."""

    def __init__(self, url: str, role: str | None = None) -> None:
        self.url = normalize_url(url)
        self.role = role
        self.engine = make_engine(self.url, role)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "after_begin", _scope_transaction)
        self._open = threading.local()  # SQLite: is a session open in this thread?

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Migrate as the login user (the owner), then (re)apply row security for the app role."""
        from bot.scheduler.worker import ensure_job_table
        from bot.tenancy import apply_row_level_security

        migrate(self.url)
        owner = make_engine(self.url)
        try:
            ensure_job_table(owner)  # before the grants: the app role may not create tables
            apply_row_level_security(owner, self.role)
        finally:
            owner.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        if self.dialect == "sqlite":
            if getattr(self._open, "depth", 0):
                # The inner one would wait for the outer one's write lock (BEGIN IMMEDIATE) forever.
                raise RuntimeError("a second SQLite session opened inside another in the same thread")
            self._open.depth = 1
        try:
            with self.sessions() as session, session.begin():
                yield session
        finally:
            self._open.depth = 0

    def dispose(self) -> None:
        self.engine.dispose()
