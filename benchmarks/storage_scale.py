"""Does time per operation stay flat as a kind grows? get / a 100-item page / put at 1,000 and 100,000.

    python benchmarks/storage_scale.py [--backend sqlite|postgres|all] [--sizes 1000,100000]
                                       [--postgres-url postgresql+psycopg://root@127.0.0.1:5432/test]

Each backend gets a fresh store (a temporary SQLite file; a private PostgreSQL schema dropped after).
Each size gets its own store, filled in transactions of ``LOAD_BATCH`` puts. Every operation runs as
its own unit of work, as a service call would, on random keys, for at least ``--ops`` operations and
``--seconds`` seconds in all, split into rounds that alternate between the sizes (a busy machine then
slows both sizes alike). We print mean, p50 and p99 microseconds per operation and operations per
second; the last column divides each size's p50 by the smallest size's (means follow the
machine's hiccups, medians follow the code).

The harness is generic: a ``Workload`` says how to fill a store with n items and which operations to
time at that size, so other benchmarks (IAM roles through the IAM service, say) reuse ``run_scale``
and ``print_table`` with their own workload.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy
from sqlalchemy.engine import make_url

from eksiam.storage import Store, UnitOfWork, open_store

DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"
LOAD_BATCH = 1000
Operation = Callable[[random.Random], object]


@dataclass(frozen=True, slots=True)
class Workload:
    """``populate(store, n)`` fills an empty store with n items; ``operations(store, n)`` names the
    operations to time on it (each call gets a seeded ``random.Random``)."""

    name: str
    populate: Callable[[Store, int], None]
    operations: Callable[[Store, int], dict[str, Operation]]


@dataclass(frozen=True, slots=True)
class Timing:
    workload: str
    backend: str
    size: int
    operation: str
    count: int
    mean_us: float
    p50_us: float
    p99_us: float

    @property
    def ops_per_s(self) -> float:
        return 1e6 / self.mean_us


def time_operation(op: Operation, *, min_ops: int, min_seconds: float, seed: int = 7) -> list[float]:
    """Per-operation wall times in microseconds, after a short warm-up."""
    rng = random.Random(seed)
    for _ in range(min(20, min_ops)):
        op(rng)
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < min_ops or time.perf_counter() - started < min_seconds:
        t0 = time.perf_counter()
        op(rng)
        samples.append((time.perf_counter() - t0) * 1e6)
    return samples


def run_scale(
    make_store: Callable[[], AbstractContextManager[Store]],
    workload: Workload,
    backend: str,
    sizes: Sequence[int],
    *,
    rounds: int = 5,
    min_ops: int = 300,
    min_seconds: float = 1.0,
) -> list[Timing]:
    """One store per size, measured in alternating rounds, so a busy machine slows every size alike
    and the ratio between sizes stays meaningful."""
    with ExitStack() as stack:
        operations: dict[int, dict[str, Operation]] = {}
        for size in sizes:
            store = stack.enter_context(make_store())
            started = time.perf_counter()
            workload.populate(store, size)
            print(
                f"  {backend}: {workload.name} x {size:,} in {time.perf_counter() - started:.1f}s", flush=True
            )
            operations[size] = workload.operations(store, size)
        samples: dict[tuple[int, str], list[float]] = {}
        for round_ in range(rounds):
            for name in operations[sizes[0]]:
                for size in sizes:
                    samples.setdefault((size, name), []).extend(
                        time_operation(
                            operations[size][name],
                            min_ops=max(1, min_ops // rounds),
                            min_seconds=min_seconds / rounds,
                            seed=round_,
                        )
                    )
    rows = []
    for (size, name), times in sorted(samples.items()):
        p = statistics.quantiles(times, n=100)
        rows.append(
            Timing(workload.name, backend, size, name, len(times), statistics.fmean(times), p[49], p[98])
        )
    return rows


def print_table(rows: Sequence[Timing]) -> None:
    smallest: dict[tuple[str, str, str], float] = {}
    print(
        f"{'workload':<10} {'backend':<9} {'size':>8} {'operation':<16} {'n':>6} "
        f"{'mean us':>9} {'p50 us':>9} {'p99 us':>9} {'ops/s':>9} {'p50 vs min':>11}"
    )
    for row in rows:
        base = smallest.setdefault((row.workload, row.backend, row.operation), row.p50_us)
        print(
            f"{row.workload:<10} {row.backend:<9} {row.size:>8,} {row.operation:<16} {row.count:>6} "
            f"{row.mean_us:>9.1f} {row.p50_us:>9.1f} {row.p99_us:>9.1f} {row.ops_per_s:>9,.0f} "
            f"{row.p50_us / base:>10.2f}x"
        )


# The records workload: one kind, one account, keys spread over the key space like real names.

KIND, ACCOUNT = "role", "123456789012"


def record_key(i: int) -> str:
    return f"/service-role/bench-{(i * 2654435761) % 2**32:010d}-{i}"


def record_data(i: int) -> dict[str, object]:
    return {
        "RoleName": f"bench-{i}",
        "RoleId": f"AROA{i:017d}",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role{record_key(i)}",
        "Path": "/service-role/",
        "AssumeRolePolicyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        "MaxSessionDuration": 3600,
        "Tags": [{"Key": "team", "Value": f"t{i % 50}"}],
        "CreateDate": "2026-05-01T12:00:00Z",
    }


def _populate_records(store: Store, n: int) -> None:
    for start in range(0, n, LOAD_BATCH):

        def batch(uow: UnitOfWork, start: int = start) -> None:
            for i in range(start, min(start + LOAD_BATCH, n)):
                uow.put(KIND, ACCOUNT, record_key(i), record_data(i))

        store.write(batch)


def _record_operations(store: Store, n: int) -> dict[str, Operation]:
    def get(rng: random.Random) -> object:
        key = record_key(rng.randrange(n))
        found = store.read(lambda uow: uow.get(KIND, ACCOUNT, key))
        assert found is not None
        return found

    def list_page(rng: random.Random) -> object:
        after = record_key(rng.randrange(n))
        return store.read(
            lambda uow: uow.list(KIND, ACCOUNT, prefix="/service-role/", after=after, limit=100)
        )

    def put(rng: random.Random) -> object:
        i = rng.randrange(n)  # replace an existing record: the size stays n
        return store.write(lambda uow: uow.put(KIND, ACCOUNT, record_key(i), record_data(i)))

    return {"get": get, "list 100": list_page, "put": put}


RECORDS = Workload("records", _populate_records, _record_operations)


@contextmanager
def sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="eksiam-bench-") as directory:
        store = open_store(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            yield store
        finally:
            store.close()


@contextmanager
def postgres_store(url: str) -> Iterator[Store]:
    schema = f"bench_{uuid.uuid4().hex[:16]}"
    store = open_store(
        make_url(url).update_query_dict({"schema": schema}).render_as_string(hide_password=False)
    )
    try:
        yield store
    finally:
        store.close()
        admin = sqlalchemy.create_engine(url, poolclass=sqlalchemy.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--ops", type=int, default=300, help="at least this many operations per figure")
    parser.add_argument("--seconds", type=float, default=1.0, help="and at least this long per figure")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    stores: dict[str, Callable[[], AbstractContextManager[Store]]] = {}
    if args.backend in ("sqlite", "all"):
        stores["sqlite"] = sqlite_store
    if args.backend in ("postgres", "all"):
        stores["postgres"] = lambda: postgres_store(args.postgres_url)
    rows: list[Timing] = []
    for backend, make in stores.items():
        rows += run_scale(make, RECORDS, backend, sizes, min_ops=args.ops, min_seconds=args.seconds)
    print_table(rows)


if __name__ == "__main__":
    main()
