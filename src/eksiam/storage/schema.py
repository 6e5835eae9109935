"""The tables, in one place: column types and indexes for SQLite and PostgreSQL alike.

Rules:

1. Keys order by the bytes of their UTF-8 text on both databases (interface rule 1). SQLite's default
   ``BINARY`` collation compares with ``memcmp``; PostgreSQL compares by the column's collation, so the
   text columns of the primary key use ``COLLATE "C"`` there (byte order for UTF-8 databases, see
   https://www.postgresql.org/docs/current/collation.html). Without it ``list`` would follow the
   server's locale and a page boundary (``after``) would skip or repeat records.
2. The primary key ``(kind, account, key)`` is the only index: ``get`` is a point lookup and a prefix
   listing is a range scan over it, so neither grows with the number of other records. On SQLite the
   table is ``WITHOUT ROWID`` (https://www.sqlite.org/withoutrowid.html): rows live in the key's
   B-tree, so a page of a listing is one contiguous read instead of an index walk plus a row lookup
   per record.
3. ``data`` is the record's JSON text. A record is read and written whole; nothing queries inside it.
4. These tables are the schema at the newest version; ``migrations.py`` creates and upgrades them.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, PrimaryKeyConstraint, Table, Text

metadata = MetaData()


def _ordered_text() -> Text:
    """Text compared by bytes: the default on SQLite, ``COLLATE "C"`` on PostgreSQL (rule 1)."""
    return Text().with_variant(Text(collation="C"), "postgresql")


records = Table(
    "records",
    metadata,
    Column("kind", _ordered_text(), nullable=False),
    Column("account", _ordered_text(), nullable=False),
    Column("key", _ordered_text(), nullable=False),
    Column("data", Text(), nullable=False),
    PrimaryKeyConstraint("kind", "account", "key", name="records_pkey"),
    sqlite_with_rowid=False,
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer(), primary_key=True, autoincrement=False),
    Column("description", Text(), nullable=False),
    Column("applied_at", Text(), nullable=False),
)
