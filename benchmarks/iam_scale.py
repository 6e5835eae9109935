"""IAM at scale: does an operation on one role cost the same among 1,000 roles as among 100,000?

    python benchmarks/iam_scale.py [--roles 100000] [--dir DIR] [--samples 2000]
    python benchmarks/iam_scale.py --postgres postgresql+psycopg://root@127.0.0.1:5432/test

Creates roles through the service with plain calls (CreateRole with a trust policy, then
PutRolePolicy with an inline policy; every tenth role also gets a customer managed policy
attached), in the same transactions a client would cause: 1,000 roles in one store and ``--roles``
in another. Then it times, per operation, median and p95 of ``--samples`` calls on random roles,
alternating between the two stores call by call, so that other load on the machine weighs on
both sides alike:

- GetRole
- ListRoles: a page of 100 starting at a random role (a client resuming with a Marker)
- a policy decision for a random role: its policies read from the store (inline, attached,
  boundary), compiled and evaluated for ``s3:GetObject``, as the authorizer does per request

The default stores are SQLite files in a temporary directory (``--postgres URL``: two private
schemas on that server, dropped afterwards) (``synchronous=FULL``: every create is
durable when it returns). Creation time per role is printed too; the roles quota is raised for the
run, as an AWS account would have to ask for.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy
from sqlalchemy.engine import make_url

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.policy import Request, evaluate
from eksiam.services import CallContext, Caller, CallerKind, IamService
from eksiam.services.authorize import policy_set
from eksiam.services.iam.paging import encode_marker
from eksiam.services.iam.quotas import Quotas
from eksiam.services.principal_policies import role_policies
from eksiam.storage import open_store

ACCOUNT = "123456789012"
NOW = datetime(2026, 5, 1, tzinfo=UTC)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def inline_policy(i: int) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::bucket-{i}/*"},
                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
            ],
        }
    )


def role_name(i: int) -> str:
    return f"role-{i:06d}"


def operations(iam: IamService, ctx: CallContext) -> dict[str, Callable[[int], object]]:
    def get_role(i: int) -> object:
        return iam.get_role(ctx, role_name=role_name(i))

    def list_page(i: int) -> object:
        return iam.list_roles(ctx, marker=encode_marker(role_name(i)), max_items=100)["Roles"]

    def decide(i: int) -> object:
        found = iam.store.read(lambda uow: role_policies(uow, ACCOUNT, role_name(i)))
        request = Request(
            principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name(i)}/bench",
            action="s3:GetObject",
            resource=f"arn:aws:s3:::bucket-{i}/key",
        )
        decision = evaluate(request, policy_set(found))
        assert decision.allowed
        return decision

    return {"GetRole": get_role, "ListRoles page (100)": list_page, "policy decision": decide}


def interleaved(sides: list[tuple[int, Callable[[int], object]]], samples: int) -> list[tuple[float, float]]:
    """Median and p95 in microseconds per side, calling the sides in turn on random roles."""
    rng = random.Random(7)
    durations: list[list[float]] = [[] for _ in sides]
    for _ in range(samples):
        for (population, call), out in zip(sides, durations, strict=True):
            i = rng.randrange(population)
            start = time.perf_counter()
            call(i)
            out.append((time.perf_counter() - start) * 1e6)
    results = []
    for out in durations:
        out.sort()
        results.append((statistics.median(out), out[int(len(out) * 0.95)]))
    return results


def create(iam: IamService, ctx: CallContext, start: int, stop: int, managed_arn: str) -> float:
    """Create roles ``start..stop-1``; seconds per role."""
    began = time.perf_counter()
    for i in range(start, stop):
        iam.create_role(ctx, role_name=role_name(i), assume_role_policy_document=TRUST)
        iam.put_role_policy(ctx, role_name=role_name(i), policy_name="data", policy_document=inline_policy(i))
        if i % 10 == 0:
            iam.attach_role_policy(ctx, role_name=role_name(i), policy_arn=managed_arn)
        if i and i % 10_000 == 0:
            print(
                f"  {i:,} roles ({(time.perf_counter() - began) / (i - start) * 1e3:.2f} ms per role)",
                flush=True,
            )
    return (time.perf_counter() - began) / max(stop - start, 1)


SCHEMA_PREFIX = f"iam_scale_{os.getpid()}_"


def store_url(postgres: str | None, directory: Path, population: int) -> str:
    if postgres is None:
        return f"sqlite:///{directory / f'roles-{population}.db'}"
    return (
        make_url(postgres)
        .update_query_dict({"schema": f"{SCHEMA_PREFIX}{population}"})
        .render_as_string(hide_password=False)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--roles", type=int, default=100_000)
    parser.add_argument(
        "--dir", default=None, help="directory for the two SQLite files (default: a temp dir)"
    )
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL: use two fresh schemas there")
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        sizes = [1_000, args.roles]
        root = Caller(CallerKind.ROOT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, ACCOUNT)
        ctx = CallContext(account=ACCOUNT, region="us-east-1", request_id="bench", now=NOW, caller=root)
        managed = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
        )
        services = []
        for population in sizes:
            store = open_store(store_url(args.postgres, Path(tmp), population))
            quotas = Quotas(roles=population + 10)
            iam = IamService(store, ManualClock(NOW), Settings(account_id=ACCOUNT), quotas=quotas)
            managed_arn = iam.create_policy(ctx, policy_name="shared", policy_document=managed)["Policy"][
                "Arn"
            ]
            per_role = create(iam, ctx, 0, population, managed_arn)
            print(
                f"created {population:,} roles ({per_role * 1e3:.2f} ms per role incl. inline policy)",
                flush=True,
            )
            services.append(iam)

        print(
            f"stores: {'PostgreSQL schemas ' + SCHEMA_PREFIX + '*' if args.postgres else tmp + ' (SQLite)'}"
        )
        print(f"{'operation':<24}" + "".join(f"{f'{n:,} roles (median / p95 us)':>34}" for n in sizes))
        small_ops, large_ops = (operations(iam, ctx) for iam in services)
        for op in small_ops:
            (small, large) = interleaved([(sizes[0], small_ops[op]), (sizes[1], large_ops[op])], args.samples)
            cells = "".join(f"{f'{m:,.0f} / {p:,.0f}':>34}" for m, p in (small, large))
            print(f"{op:<24}{cells}   x{large[0] / small[0]:.2f} median", flush=True)
        for iam in services:
            iam.store.close()
        if args.postgres:
            engine = sqlalchemy.create_engine(args.postgres, poolclass=sqlalchemy.NullPool)
            with engine.begin() as conn:
                for population in sizes:
                    conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{SCHEMA_PREFIX}{population}" CASCADE')


if __name__ == "__main__":
    main()
