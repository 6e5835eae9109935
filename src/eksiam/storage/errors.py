"""Storage failures. Services translate them to AWS errors; they never reach the wire as they are.

Tree::

    StorageError
     ├─ AlreadyExists     put(create=True) on a taken key
     ├─ ReadOnly          a write through Store.read
     └─ Unavailable       the database cannot be reached or opened
"""

from __future__ import annotations


class StorageError(Exception):
    pass


class AlreadyExists(StorageError):
    def __init__(self, kind: str, account: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} already exists in account {account!r}")
        self.kind, self.account, self.key = kind, account, key


class ReadOnly(StorageError):
    pass


class Unavailable(StorageError):
    pass
