"""What the storage tests run concurrently: in threads (``in_threads``) and in child processes
(``python store_worker.py <program> <url> [n] [name]``).

Each program opens its own store, so two processes share only the database, as two servers would.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from eksiam.storage import Store, UnitOfWork, open_store

ACCOUNT = "123456789012"
SLOTS = 5


def increment(uow: UnitOfWork) -> int:
    current = uow.get("counter", ACCOUNT, "c") or {"n": 0}
    value = int(current["n"]) + 1
    uow.put("counter", ACCOUNT, "c", {"n": value})
    return value


def claim(name: str) -> Callable[[UnitOfWork], bool]:
    """Take one of ``SLOTS`` slots if fewer are taken: an invariant that needs the count to stay true."""

    def fn(uow: UnitOfWork) -> bool:
        if uow.count("slot", ACCOUNT, prefix="s|") >= SLOTS:
            return False
        uow.put("slot", ACCOUNT, f"s|{name}", {"by": name}, create=True)
        return True

    return fn


def transaction_records(i: int) -> list[tuple[str, dict[str, object]]]:
    """Transaction ``i`` of the durability stream: three records that must appear together."""
    return [(f"{i:08d}/{part}", {"txn": i, "part": part, "payload": f"{part}{i}" * 40}) for part in "abc"]


def in_threads(count: int, target: Callable[[int], None]) -> None:
    """Run ``target(i)`` for i < count in threads released together; fail if any of them raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            target(i)
        except BaseException as exc:  # reported after join
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _increments(store: Store, n: int) -> None:
    for _ in range(n):
        store.write(increment)
    print("done", flush=True)


def _claims(store: Store, n: int) -> None:
    won = sum(store.write(claim(f"{sys.argv[4]}-{i}")) for i in range(n))
    print(won, flush=True)


def _stream(store: Store, _n: int) -> None:
    i = 0
    while True:

        def fn(uow: UnitOfWork, i: int = i) -> None:
            for key, data in transaction_records(i):
                uow.put("stream", ACCOUNT, key, data, create=True)

        store.write(fn)
        print(i, flush=True)  # acknowledged: write() returned
        i += 1


def _open(store: Store, _n: int) -> None:
    print("open", flush=True)


PROGRAMS = {"increment": _increments, "claim": _claims, "stream": _stream, "open": _open}

if __name__ == "__main__":
    program, url = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    opened = open_store(url)
    try:
        PROGRAMS[program](opened, count)
    finally:
        opened.close()
