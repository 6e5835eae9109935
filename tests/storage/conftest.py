"""Fixtures shared by the storage tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eksiam.storage import Store, open_store


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[Store]:
    """A store on a SQLite file (WAL), the kind that defers syncs and batches writes."""
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield store
    store.close()
