"""Policy evaluation throughput: eksiam against moto's evaluator and @cloud-copilot/iam-simulate.

Run: python benchmarks/policy_eval.py [--principals N] [--requests-per-principal N] [--rounds N]
                                     [--clock cpu|wall] [--peer-sample N]

Workload (deterministic, seeded): principals (IAM users and assumed-role sessions) each carrying ten
managed policies with about fifty statements, conditions on most of them: real AWS managed policy
documents from src/eksiam/data/aws-managed-policies/ plus generated customer policies with the
conditions real accounts write (regions, source IP, TLS, tag matching through policy variables,
tag-key sets, dates, MFA age, ARN patterns, IfExists, Null) and some Deny guard rails. Requests mix
actions the policies name with unrelated ones, over realistic ARNs and full request contexts.

All three engines decide the same requests in the same run, on one core, after a warm-up round;
each timed round builds the request and evaluates it (policies are parsed once, outside the timing,
for every engine). Rounds are timed in process CPU time by default, so the figure is the throughput
of one core even when other work shares the machine (--clock wall for elapsed time).
moto only understands identity policies without most condition operators, so it
answers many requests wrongly; it is timed because it is the evaluator most emulators use.
The run ends with one line per engine and the ratios.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE / "peers"))

from peer_install import PEERS, ensure_iam_simulate, ensure_moto  # noqa: E402

from eksiam.policy import PolicyKind, PolicySet, Request, evaluate, parse_policy  # noqa: E402

ACCOUNT = "111122223333"
MANAGED_DIR = ROOT / "src" / "eksiam" / "data" / "aws-managed-policies"
# Managed policies EKS principals actually carry; most hold conditioned statements.
MANAGED_POOL = [
    "AmazonEBSCSIDriverPolicy", "AmazonEKSLoadBalancingPolicy", "AmazonEKSComputePolicy",
    "AmazonEKSBlockStoragePolicy", "AmazonEKSNetworkingPolicy", "AmazonEFSCSIDriverPolicy",
    "AmazonEKSVPCResourceController", "AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly", "AmazonS3ReadOnlyAccess", "AmazonEKS_CNI_Policy",
    "AmazonSSMManagedInstanceCore", "AmazonEKSServicePolicy",
]  # fmt: skip
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
SERVICES: dict[str, list[str]] = {
    "s3": ["GetObject", "PutObject", "DeleteObject", "ListBucket", "GetObjectTagging", "GetBucketPolicy"],
    "ec2": ["DescribeInstances", "RunInstances", "TerminateInstances", "CreateTags", "CreateVolume"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan", "DeleteItem", "DescribeTable"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"],
    "sns": ["Publish", "Subscribe", "GetTopicAttributes"],
    "kms": ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"],
    "logs": ["CreateLogStream", "PutLogEvents", "DescribeLogGroups"],
    "eks": ["DescribeCluster", "ListClusters", "CreateNodegroup", "DeleteCluster"],
    "iam": ["GetRole", "PassRole", "CreateRole", "DeleteRole", "ListRoles"],
    "lambda": ["InvokeFunction", "GetFunction", "UpdateFunctionCode"],
    "secretsmanager": ["GetSecretValue", "DescribeSecret", "PutSecretValue"],
}
ALLOW_CONDITIONS: list[tuple[str, str, Any]] = [
    ("StringEquals", "aws:RequestedRegion", ["us-east-1", "us-west-2"]),
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "203.0.113.0/24"]),
    ("Bool", "aws:SecureTransport", "true"),
    ("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}"),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team", "env", "owner"]),
    ("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z"),
    ("NumericLessThanEquals", "aws:MultiFactorAuthAge", "3600"),
    ("StringLike", "aws:PrincipalTag/env", ["dev*", "staging"]),
    ("ArnLike", "aws:SourceArn", f"arn:aws:*:*:{ACCOUNT}:*"),
    ("StringNotEqualsIfExists", "aws:ResourceTag/env", "prod"),
    ("Null", "aws:TokenIssueTime", "false"),
    ("StringEqualsIgnoreCase", "aws:PrincipalTag/team", ["Blue", "RED"]),
]
DENY_CONDITIONS: list[tuple[str, str, Any]] = [
    ("Bool", "aws:SecureTransport", "false"),
    ("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "203.0.113.0/24", "198.51.100.0/24"]),
    ("StringNotEquals", "aws:RequestedRegion", ["us-east-1", "us-west-2", "eu-west-1"]),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "false"),
]


def arn_for(rng: random.Random, service: str, action: str) -> str:
    region = rng.choice(REGIONS)
    name = f"{rng.choice(['app', 'data', 'team', 'ci'])}-{rng.randrange(20)}"
    if service == "s3":
        bucket = f"bucket-{rng.randrange(8)}"
        return f"arn:aws:s3:::{bucket}" if "Bucket" in action else f"arn:aws:s3:::{bucket}/home/{name}/f.txt"
    if service == "iam":
        return f"arn:aws:iam::{ACCOUNT}:role/{name}"
    shapes = {
        "ec2": f"instance/i-{rng.randrange(16**8):08x}",
        "dynamodb": f"table/{name}",
        "sqs": name,
        "sns": name,
        "kms": f"key/{rng.randrange(16**8):08x}-1111-2222-3333-444455556666",
        "logs": f"log-group:/eks/{name}",
        "eks": f"cluster/{name}",
        "lambda": f"function:{name}",
        "secretsmanager": f"secret:{name}-AbCdEf",
    }
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{shapes.get(service, name)}"


def resource_pattern(rng: random.Random, service: str) -> str | list[str]:
    choice = rng.random()
    if choice < 0.3:
        return "*"
    if service == "s3":
        bucket = f"bucket-{rng.randrange(8)}"
        return [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*"]
    if service == "iam":
        return f"arn:aws:iam::{ACCOUNT}:role/{rng.choice(['app', 'data', 'team', 'ci'])}-*"
    return f"arn:aws:{service}:{rng.choice(REGIONS + ['*'])}:{ACCOUNT}:*"


def condition_block(rng: random.Random, menu: list[tuple[str, str, Any]], count: int) -> dict[str, Any]:
    block: dict[str, dict[str, Any]] = {}
    for operator, key, value in rng.sample(menu, count):
        block.setdefault(operator, {})[key] = value
    return block


def customer_policy(rng: random.Random, statements: int) -> dict[str, Any]:
    body = []
    for index in range(statements):
        service = rng.choice(list(SERVICES))
        verbs = SERVICES[service]
        actions = [f"{service}:{verb}" for verb in rng.sample(verbs, rng.randint(1, min(3, len(verbs))))]
        if rng.random() < 0.25:
            actions.append(f"{service}:{rng.choice(['Get', 'Describe', 'List', 'Put'])}*")
        statement: dict[str, Any] = {
            "Sid": f"S{index}",
            "Action": actions,
            "Resource": resource_pattern(rng, service),
        }
        if rng.random() < 0.12:
            statement["Effect"] = "Deny"
            statement["Condition"] = condition_block(rng, DENY_CONDITIONS, 1)
        else:
            statement["Effect"] = "Allow"
            if rng.random() < 0.85:
                statement["Condition"] = condition_block(rng, ALLOW_CONDITIONS, rng.randint(1, 3))
        body.append(statement)
    return {"Version": "2012-10-17", "Statement": body}


def managed_document(name: str) -> dict[str, Any]:
    record = json.loads((MANAGED_DIR / f"{name}.json").read_text())
    document: dict[str, Any] = next(v for v in record["Versions"] if v["IsDefaultVersion"])["Document"]
    return document


def statements_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    body = document["Statement"]
    return body if isinstance(body, list) else [body]


def condition_facts(documents: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(key, value) pairs the policies test, so requests sometimes satisfy managed-policy conditions."""
    facts = []
    for document in documents:
        for statement in statements_of(document):
            for operator, tests in statement.get("Condition", {}).items():
                if "IpAddress" in operator:  # a request carries one address, never a CIDR
                    continue
                for key, values in tests.items():
                    for value in values if isinstance(values, list) else [values]:
                        if (
                            isinstance(value, str)
                            and "${" not in value
                            and not key.lower().startswith("aws:tagkeys")
                        ):
                            facts.append((key, value))
    return facts


def concrete_actions(documents: Sequence[dict[str, Any]]) -> list[str]:
    found = set()
    for document in documents:
        for statement in statements_of(document):
            actions = statement.get("Action", [])
            for action in actions if isinstance(actions, list) else [actions]:
                if "*" not in action and "?" not in action:
                    found.add(action)
    return sorted(found)


def build_workload(principal_count: int, per_principal: int, seed: int = 20260) -> dict[str, Any]:
    rng = random.Random(seed)
    principals = []
    requests = []
    everything = [f"{s}:{v}" for s, verbs in SERVICES.items() for v in verbs]
    for index in range(principal_count):
        session = index % 2 == 1
        arn = (
            f"arn:aws:sts::{ACCOUNT}:assumed-role/workload-role-{index}/session-{index}"
            if session
            else f"arn:aws:iam::{ACCOUNT}:user/user-{index}"
        )
        managed = []
        for name in rng.sample(MANAGED_POOL, len(MANAGED_POOL)):
            if len(managed) == 4:
                break
            if sum(len(statements_of(d)) for d in managed) + len(statements_of(managed_document(name))) <= 26:
                managed.append(managed_document(name))
        remaining = 50 - sum(len(statements_of(d)) for d in managed)
        shares = [remaining // 6 + (1 if i < remaining % 6 else 0) for i in range(6)]
        customer = [customer_policy(rng, max(share, 1)) for share in shares]
        documents = managed + customer
        principals.append({"arn": arn, "policies": documents, "session": session})
        own_actions = concrete_actions(documents)
        facts = condition_facts(documents)
        for _ in range(per_principal):
            action = rng.choice(own_actions) if rng.random() < 0.7 else rng.choice(everything)
            service = action.split(":", 1)[0]
            context: dict[str, Any] = {
                "aws:SourceIp": rng.choice(["10.1.2.3", "203.0.113.9", "192.0.2.44", "198.51.100.20"]),
                "aws:RequestedRegion": rng.choice(REGIONS + ["ap-south-1"]),
                "aws:SecureTransport": "true" if rng.random() < 0.9 else "false",
                "aws:CurrentTime": "2026-11-23T12:00:00Z",
                "aws:EpochTime": "1795435200",
                "aws:PrincipalTag/team": rng.choice(["blue", "red", "green"]),
                "aws:PrincipalTag/env": rng.choice(["dev", "development", "staging", "prod"]),
                "aws:ResourceTag/team": rng.choice(["blue", "red", "green"]),
                "aws:MultiFactorAuthPresent": "true" if rng.random() < 0.7 else "false",
                "aws:MultiFactorAuthAge": str(rng.randrange(0, 7200)),
            }
            if session:
                context["aws:TokenIssueTime"] = "2026-11-23T11:00:00Z"
            if rng.random() < 0.4:
                context["aws:TagKeys"] = rng.sample(["team", "env", "owner", "cost"], rng.randint(0, 3))
            if rng.random() < 0.3:
                context["aws:ResourceTag/env"] = rng.choice(["dev", "prod"])
            if rng.random() < 0.3:
                context["aws:SourceArn"] = f"arn:aws:sns:us-east-1:{rng.choice([ACCOUNT, '444455556666'])}:t"
            for key, value in rng.sample(facts, min(len(facts), 3)):
                if rng.random() < 0.5:
                    context[key] = value
            requests.append(
                {
                    "principal": index,
                    "action": action,
                    "resource": arn_for(rng, service, action.split(":", 1)[1]),
                    "account": ACCOUNT,
                    "context": context,
                }
            )
    return {"principals": principals, "requests": requests}


CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


def timed(run: Callable[[], object], rounds: int, clock: str) -> float:
    """Median seconds of `rounds` runs after one warm-up, on the clock chosen with --clock."""
    now = CLOCKS[clock]
    run()
    times = []
    for _ in range(rounds):
        start = now()
        run()
        times.append(now() - start)
    return statistics.median(times)


def run_eksiam(workload: dict[str, Any], rounds: int, clock: str) -> tuple[float, list[str]]:
    sets = [
        PolicySet(
            identity=tuple(
                parse_policy(doc, PolicyKind.IDENTITY, policy_id=f"p{i}.{j}")
                for j, doc in enumerate(p["policies"])
            )
        )
        for i, p in enumerate(workload["principals"])
    ]
    arns = [p["arn"] for p in workload["principals"]]
    rows = [
        (arns[r["principal"]], r["action"], r["resource"], r["account"], r["context"], sets[r["principal"]])
        for r in workload["requests"]
    ]

    def once() -> list[str]:
        return [
            evaluate(Request(principal, action, resource, account, context), policies).kind.value
            for principal, action, resource, account, context, policies in rows
        ]

    decisions = once()
    return len(rows) / timed(once, rounds, clock), decisions


def run_moto(workload: dict[str, Any], rounds: int, clock: str) -> tuple[float, list[str], int]:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    compiled = [[IAMPolicy(json.dumps(doc)) for doc in p["policies"]] for p in workload["principals"]]

    def decide(policies: list[Any], action: str, resource: str, context: dict[str, str]) -> str:
        allowed = False
        for policy in policies:
            result = policy.is_action_permitted(action, resource, None, context)
            if result == PermissionResult.DENIED:
                return "ExplicitDeny"
            allowed = allowed or result == PermissionResult.PERMITTED
        return "Allow" if allowed else "ImplicitDeny"

    rows = []
    skipped = 0
    for r in workload["requests"]:
        strings = {k: v for k, v in r["context"].items() if isinstance(v, str)}
        try:
            decide(compiled[r["principal"]], r["action"], r["resource"], strings)
        except Exception:  # moto cannot express this request; leave it out of its timing
            skipped += 1
            continue
        rows.append((compiled[r["principal"]], r["action"], r["resource"], strings))

    def once() -> list[str]:
        return [decide(*row) for row in rows]

    decisions = once()
    return len(rows) / timed(once, rounds, clock), decisions, skipped


def run_iam_simulate(
    workload: dict[str, Any], sample: Sequence[int], rounds: int, clock: str
) -> tuple[float, float, list[str]]:
    """iam-simulate is about a thousand times slower than eksiam, so it decides an evenly spread
    sample of the same requests (every principal, every kind of request) to keep the run short."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "workload.json"
        slim = {
            "principals": [{"arn": p["arn"], "policies": p["policies"]} for p in workload["principals"]],
            "requests": [workload["requests"][i] for i in sample],
        }
        path.write_text(json.dumps(slim))
        done = subprocess.run(
            [
                "node",
                str(HERE / "peers" / "iam_simulate_bench.mjs"),
                str(PEERS),
                str(path),
                str(rounds),
                clock,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    answer = json.loads(done.stdout)
    return float(answer["rate"]), float(answer["public_rate"]), list(answer["decisions"])


def describe(workload: dict[str, Any], index: int) -> str:
    request = workload["requests"][index]
    principal = workload["principals"][request["principal"]]["arn"]
    return f"{principal} {request['action']} {request['resource']}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--principals", type=int, default=40)
    parser.add_argument("--requests-per-principal", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: process CPU time, the throughput of one core even on a busy machine; wall: elapsed time",
    )
    parser.add_argument("--peer-sample", type=int, default=600, help="requests iam-simulate decides")
    args = parser.parse_args(argv)

    workload = build_workload(args.principals, args.requests_per_principal)
    statements = [sum(len(statements_of(d)) for d in p["policies"]) for p in workload["principals"]]
    conditioned = sum(
        1 for p in workload["principals"] for d in p["policies"] for s in statements_of(d) if "Condition" in s
    )
    print(
        f"workload: {len(workload['principals'])} principals x 10 managed policies "
        f"({min(statements)}-{max(statements)} statements each, "
        f"{conditioned / sum(statements):.0%} conditioned), "
        f"{len(workload['requests'])} requests; clock: {args.clock} time, median of {args.rounds} rounds"
    )

    rate, ours = run_eksiam(workload, args.rounds, args.clock)
    print(f"eksiam decisions: {dict(Counter(ours))}")

    moto_problem = ensure_moto()
    moto_rate = 0.0
    if moto_problem is None:
        moto_rate, moto_decisions, skipped = run_moto(workload, max(1, args.rounds // 2), args.clock)
        print(f"moto: evaluated {len(moto_decisions)} requests, {skipped} it cannot express")
    else:
        print(f"moto unavailable: {moto_problem}")

    peer_problem = ensure_iam_simulate()
    simulate_rate = 0.0
    if peer_problem is None:
        step = max(1, len(ours) // max(1, args.peer_sample))
        sample = list(range(0, len(ours), step))[: args.peer_sample]
        simulate_rate, public_rate, theirs = run_iam_simulate(
            workload, sample, max(1, args.rounds // 2), args.clock
        )
        print(f"iam-simulate via runUnsafeSimulation (parses per call): {public_rate:,.0f} decisions/s")
        differ = [i for i, theirs_i in zip(sample, theirs, strict=True) if ours[i] != theirs_i]
        by_index = dict(zip(sample, theirs, strict=True))
        print(f"eksiam vs iam-simulate: {len(differ)} of {len(sample)} sampled decisions differ")
        actions = Counter(workload["requests"][i]["action"].split(":")[0] for i in differ)
        print(f"  by service: {dict(actions)}")
        for i in differ[:8]:
            print(f"  eksiam={ours[i]} iam-simulate={by_index[i]}: {describe(workload, i)}")
    else:
        print(f"iam-simulate unavailable: {peer_problem}")

    print(f"eksiam: {rate:.0f} decisions/s")
    print(f"moto: {moto_rate:.0f} decisions/s")
    print(f"iam-simulate: {simulate_rate:.0f} decisions/s")
    if simulate_rate:
        print(f"eksiam/iam-simulate: {rate / simulate_rate:.1f}x")
    if moto_rate:
        print(f"eksiam/moto: {rate / moto_rate:.1f}x")


if __name__ == "__main__":
    main()
