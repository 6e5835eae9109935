"""Whether a SQLite database in WAL mode has changed, read from its wal-index without a lock.

Every commit to a WAL database, by any connection of any process, rewrites the wal-index header at
the start of the ``-shm`` file (https://www.sqlite.org/walformat.html, "The WAL-Index Header": two
48-byte copies of the change counter, the WAL's last valid frame, its checksums and salts). Asking
SQLite instead (``PRAGMA data_version``) costs a read transaction and, on it, two ``fcntl`` lock
calls; ``SqlStore.read_cached`` (sql.py rule 7) asks before every cached read.

Rules:

1. The stamp is the header's first copy, which a commit writes last, before the commit returns. A
   read of it that races an unfinished commit sees the old header or a torn one: the old one orders
   the read before a commit nobody has been told of yet, a torn one only differs (a cache miss).
2. A header never comes back: a commit appends frames (the last valid frame grows) or restarts the
   WAL with new salts (the first incremented, the second random).
3. The ``-shm`` file is the same file for as long as a connection has the database open; the last
   connection to close deletes it, and a later one makes a new one that an old mapping would never
   see. ``WalIndex`` therefore keeps a connection of its own open until ``close``.
"""

from __future__ import annotations

import mmap
import os
from typing import Protocol

HEADER_BYTES = 48


class Closeable(Protocol):
    def close(self) -> None: ...


class WalIndex:
    def __init__(self, view: mmap.mmap, keeper: Closeable) -> None:
        self._view = view
        self._keeper = keeper

    @classmethod
    def open(cls, shm_path: str, keeper: Closeable) -> WalIndex:
        """The wal-index at ``shm_path``, which ``keeper``, a connection that has read the database,
        keeps in place (rule 3); OSError or ValueError when it cannot be mapped."""
        fd = os.open(shm_path, os.O_RDONLY)
        try:
            view = mmap.mmap(fd, HEADER_BYTES, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        return cls(view, keeper)

    def stamp(self) -> bytes:
        """The header as it is now: equal stamps mean no commit came between them (rules 1-2)."""
        return self._view[:HEADER_BYTES]

    def close(self) -> None:
        try:
            self._view.close()
        finally:
            self._keeper.close()
