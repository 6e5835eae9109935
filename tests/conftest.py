"""Shared fixtures: a real store on SQLite and on PostgreSQL for every test that asks for one.

``store`` (and ``store_url`` for tests that open their own stores or start processes) run each test
twice, ``[sqlite]`` on a fresh file under ``tmp_path`` and ``[postgres]`` in a private schema on the
server named by ``EKSIAM_TEST_POSTGRES_URL`` (default below), dropped afterwards so concurrent runs
never collide. The postgres case is skipped, with the reason, only when that server does not answer.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

from eksiam.storage import Store, open_store

DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("EKSIAM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@functools.cache
def postgres_unreachable() -> str | None:
    """Why the test PostgreSQL server cannot be used, or None when it answers."""
    engine = sqlalchemy.create_engine(postgres_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure to connect means "not available here"
        return f"PostgreSQL at {make_url(postgres_url()).render_as_string()} does not answer: {exc}"
    finally:
        engine.dispose()
    return None


@functools.cache
def _admin_engine() -> sqlalchemy.Engine:
    return sqlalchemy.create_engine(postgres_url(), poolclass=sqlalchemy.NullPool)


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A store URL for a fresh private schema; the schema is dropped when the test ends."""
    reason = postgres_unreachable()
    if reason is not None:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:20]}"
    url = make_url(postgres_url()).update_query_dict({"schema": schema})
    yield url.render_as_string(hide_password=False)
    with _admin_engine().begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'eksiam.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store, once per backend."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(sqlite_url(tmp_path))
    yield opened
    opened.close()
