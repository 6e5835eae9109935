"""Persistence behind a small interface; one SQL implementation for SQLite and PostgreSQL.

Services import only these names; ``interface.py`` states the rules every store keeps.
"""

from __future__ import annotations

from eksiam.storage.errors import AlreadyExists, ReadOnly, StorageError, Unavailable
from eksiam.storage.interface import Record, Store, UnitOfWork
from eksiam.storage.sql import open_store

__all__ = [
    "AlreadyExists",
    "ReadOnly",
    "Record",
    "StorageError",
    "Store",
    "UnitOfWork",
    "Unavailable",
    "open_store",
]
