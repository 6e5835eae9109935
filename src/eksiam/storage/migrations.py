"""Schema versions and the ordered steps that reach each one, applied when a store opens.

Rules:

1. ``schema_version`` holds one row per applied step. The database's version is the largest; a
   database newer than ``LATEST`` is refused (an older eksiam must not write a shape it does not know).
2. Steps only ever get appended. A released step is never edited: a change is a new step.
3. ``upgrade`` runs inside one write transaction that the caller opened, and takes the database's
   write lock first (SQLite: the caller's ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped
   advisory lock per schema), so two processes opening the same database at once apply each step
   exactly once: the second waits, then finds the version already current. DDL is transactional on
   both databases, so a crash mid-upgrade leaves the previous version intact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, inspect, select, text

from eksiam.storage import schema
from eksiam.storage.errors import Unavailable


@dataclass(frozen=True, slots=True)
class Step:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_records(conn: Connection) -> None:
    schema.schema_version.create(conn)
    schema.records.create(conn)


STEPS: tuple[Step, ...] = (Step(1, "records keyed by (kind, account, key)", _create_records),)
LATEST = STEPS[-1].version


def _lock_postgresql(conn: Connection, schema_name: str | None) -> None:
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"eksiam-migrate:{schema_name}"}
    )
    if schema_name is not None:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema_name}"'))


def _lock_held_by_caller(conn: Connection, schema_name: str | None) -> None:
    """SQLite: the caller's ``BEGIN IMMEDIATE`` already holds the only write lock."""


_LOCKS: dict[str, Callable[[Connection, str | None], None]] = {
    "postgresql": _lock_postgresql,
    "sqlite": _lock_held_by_caller,
}


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema.schema_version.name):
        return 0
    return int(conn.execute(select(func.coalesce(func.max(schema.schema_version.c.version), 0))).scalar_one())


def upgrade(conn: Connection, schema_name: str | None = None) -> int:
    """Bring the database to ``LATEST`` inside the caller's transaction; return the version reached."""
    _LOCKS[conn.dialect.name](conn, schema_name)
    found = current_version(conn)
    if found > LATEST:
        raise Unavailable(f"the database schema is at version {found}; this eksiam knows up to {LATEST}")
    for step in STEPS:
        if step.version > found:
            step.apply(conn)
            conn.execute(
                schema.schema_version.insert().values(
                    version=step.version,
                    description=step.description,
                    applied_at=datetime.now(UTC).isoformat(),
                )
            )
    return LATEST
