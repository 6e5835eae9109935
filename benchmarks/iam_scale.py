"""IAM at scale: does an operation on one role cost the same among 1,000 roles as among 100,000?

    python benchmarks/iam_scale.py [--roles 100000] [--url sqlite:///path] [--samples 2000]

Creates roles through the service with plain calls (CreateRole with a trust policy, then
PutRolePolicy with an inline policy; every tenth role also gets a customer managed policy
attached), in the same transactions a client would cause. When 1,000 and when ``--roles`` roles
exist it times, per operation (median and p95 of ``--samples`` calls on random roles):

- GetRole
- ListRoles: a page of 100 starting at a random role (a client resuming with a Marker)
- a policy decision for a random role: its policies read from the store (inline, attached,
  boundary), compiled and evaluated for ``s3:GetObject``, as the authorizer does per request

The default store is a SQLite file in a temporary directory (``synchronous=FULL``: every create is
durable when it returns). Creation time per role is printed too; the roles quota is raised for the
run, as an AWS account would have to ask for.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

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


def timed(samples: int, call: Callable[[int], object], population: int) -> tuple[float, float]:
    """Median and p95 in microseconds of ``call(random index)``."""
    rng = random.Random(7)
    durations = []
    for _ in range(samples):
        i = rng.randrange(population)
        start = time.perf_counter()
        call(i)
        durations.append((time.perf_counter() - start) * 1e6)
    durations.sort()
    return statistics.median(durations), durations[int(len(durations) * 0.95)]


def measure(
    iam: IamService, ctx: CallContext, population: int, samples: int
) -> dict[str, tuple[float, float]]:
    def get_role(i: int) -> object:
        return iam.get_role(ctx, role_name=role_name(i))

    def list_page(i: int) -> object:
        out = iam.list_roles(ctx, marker=encode_marker(role_name(i)), max_items=100)
        return out["Roles"]

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

    return {
        "GetRole": timed(samples, get_role, population),
        "ListRoles page (100)": timed(samples, list_page, population),
        "policy decision": timed(samples, decide, population),
    }


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--roles", type=int, default=100_000)
    parser.add_argument("--url", default=None, help="store URL (default: a SQLite file in a temp dir)")
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = open_store(url)
        quotas = Quotas(roles=args.roles + 10, policies=10)
        iam = IamService(store, ManualClock(NOW), Settings(account_id=ACCOUNT), quotas=quotas)
        root = Caller(CallerKind.ROOT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, ACCOUNT)
        ctx = CallContext(account=ACCOUNT, region="us-east-1", request_id="bench", now=NOW, caller=root)
        managed = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
        )
        managed_arn = iam.create_policy(ctx, policy_name="shared", policy_document=managed)["Policy"]["Arn"]

        print(f"store: {url.split('?')[0]}")
        results: dict[int, dict[str, tuple[float, float]]] = {}
        created = 0
        for population in sorted({min(1_000, args.roles), args.roles}):
            per_role = create(iam, ctx, created, population, managed_arn)
            created = population
            print(f"created {population:,} roles ({per_role * 1e3:.2f} ms per role incl. inline policy)")
            results[population] = measure(iam, ctx, population, args.samples)
        store.close()

    sizes = sorted(results)
    print()
    print(f"{'operation':<24}" + "".join(f"{f'{n:,} roles (median / p95 us)':>34}" for n in sizes))
    for op in results[sizes[0]]:
        cells = "".join(f"{f'{results[n][op][0]:,.0f} / {results[n][op][1]:,.0f}':>34}" for n in sizes)
        print(f"{op:<24}{cells}")
    if len(sizes) == 2:
        small, large = sizes
        print()
        for op in results[small]:
            print(
                f"{op}: x{results[large][op][0] / results[small][op][0]:.2f} median at {large:,} vs {small:,}"
            )


if __name__ == "__main__":
    main()
