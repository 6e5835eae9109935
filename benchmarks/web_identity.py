"""AssumeRoleWithWebIdentity through the server, beside GetCallerIdentity in the same run.

    python benchmarks/web_identity.py [--connections 16] [--seconds 1.25] [--max-requests 20000]
                                      [--tokens 64] [--rounds 12]

One ``eksiam serve`` process on 127.0.0.1 (SQLite, enforcement on). Setup, outside the timing: a
cluster issuer is created in the server's store, registered in IAM as an OIDC provider, and an IRSA
role trusts one service account with ``StringEquals`` on ``:sub`` and ``:aud``; ``--tokens``
distinct service-account tokens are signed (RS256, 2048-bit key) and every request is built ahead.

Timed, with the load generator of ``benchmarks/server.py`` (raw keep-alive HTTP/1.1, asyncio):

- ``sts:GetCallerIdentity``: one SigV4-signed request replayed (signature verified; the root key
  comes from the server's settings, so no storage is touched), and again signed with an IAM user's
  key (looked up in the store on every request), for reference;
- ``sts:AssumeRoleWithWebIdentity``: unsigned requests cycling through the tokens; each one is
  parsed, its RS256 signature verified against the issuer's published keys, its audience and times
  checked, the trust policy evaluated, and a new session (ASIA key, secret, and a token that carries
  the sealed session) issued; nothing is written per session.

The two operations run ``--rounds`` times, in turn (GetCallerIdentity, then
AssumeRoleWithWebIdentity), and each round gives a ratio; the ratio reported is the median of the
rounds', as ``server.py`` reports its own: on a shared machine the rate of one and the same
operation drifts by tens of percent between runs, and a single run of each would compare one moment
of the machine with another. Rounds are short and many (12 of 1.25 s each way, the same half
minute as 3 of 5 s): the speed of this virtual machine changes within seconds, and the two
halves of a short round meet the same machine. On 2026-12-07, on a busy host, six runs of 3 rounds
of 5 s printed 0.37-0.57 and nine runs of 12 rounds of 1.25 s printed 0.44-0.49. The rates shown
are the medians of each operation's rounds. The user-key GetCallerIdentity runs once, after the
rounds (three times, the median shown), for reference.

Output ends with these lines (target: ratio at least 0.5):

    GetCallerIdentity: N req/s
    AssumeRoleWithWebIdentity: N req/s
    ratio: R
    ratio to a user-key GetCallerIdentity: R
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlencode

import boto3

import server as load
from eksiam.clock import SystemClock
from eksiam.config import Settings
from eksiam.oidc import issue_service_account_token
from eksiam.services.oidc_issuers import IssuerRegistry
from eksiam.storage import open_store
from server import AKID, REGION, SECRET, Result, Server, cpu_seconds, drive, signed_bytes, start_eksiam

ACCOUNT = "123456789012"
SUB = "system:serviceaccount:bench:reader"


def prepare_irsa(server: Server, db: Path, tokens: int) -> tuple[str, list[str]]:
    """The role ARN and ``tokens`` service-account tokens that it trusts."""
    store = open_store(f"sqlite:///{db}")
    try:
        registry = IssuerRegistry(store, SystemClock(), Settings())
        issuer = registry.create_issuer(ACCOUNT, REGION, "bench")
        signed = [
            issue_service_account_token(
                registry, issuer, namespace="bench", service_account="reader", expiration_seconds=86400
            ).token
            for _ in range(tokens)
        ]
    finally:
        store.close()
    iam = boto3.client(
        "iam",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
    )
    host = issuer.removeprefix("https://")
    provider = iam.create_open_id_connect_provider(
        Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9" * 40]
    )["OpenIDConnectProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{host}:sub": SUB, f"{host}:aud": "sts.amazonaws.com"}},
            }
        ],
    }
    role = iam.create_role(RoleName="bench-irsa", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    return str(role["Arn"]), signed


def unsigned_bytes(endpoint: str, body: str) -> bytes:
    host = endpoint.split("://", 1)[1]
    head = (
        "POST / HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
        f"Content-Length: {len(body.encode())}\r\n\r\n"
    )
    return head.encode() + body.encode()


def web_identity_units(endpoint: str, role_arn: str, tokens: Sequence[str]) -> Callable[[int], list[bytes]]:
    pool = [
        unsigned_bytes(
            endpoint,
            urlencode(
                {
                    "Action": "AssumeRoleWithWebIdentity",
                    "Version": "2011-06-15",
                    "RoleArn": role_arn,
                    "RoleSessionName": f"bench-{i}",
                    "WebIdentityToken": token,
                    "DurationSeconds": "900",
                }
            ),
        )
        for i, token in enumerate(tokens)
    ]
    return lambda i: [pool[i % len(pool)]]


def caller_identity_units(endpoint: str, key: tuple[str, str] | None = None) -> Callable[[int], list[bytes]]:
    """GetCallerIdentity signed with the root key, or with ``key`` (an IAM user's id and secret)."""
    body = urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    saved = load.AKID, load.SECRET
    if key is not None:
        load.AKID, load.SECRET = key  # server.signed_bytes signs with these module-level credentials
    try:
        one = signed_bytes(endpoint, "sts", body)
    finally:
        load.AKID, load.SECRET = saved
    return lambda i: [one]


def user_key(server: Server) -> tuple[str, str]:
    iam = boto3.client(
        "iam",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
    )
    iam.create_user(UserName="bench-user")
    key = iam.create_access_key(UserName="bench-user")["AccessKey"]
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


def measure(server: Server, units: Callable[[int], list[bytes]], args: argparse.Namespace) -> Result:
    asyncio.run(drive(server.port, units, 200, 1, 5))  # warm-up: imports, caches, SQLite pages
    before = cpu_seconds(server.process.pid)
    result = asyncio.run(drive(server.port, units, args.max_requests, args.connections, args.seconds))
    result.server_cpu = cpu_seconds(server.process.pid) - before
    return result


def report(name: str, result: Result) -> None:
    print(
        f"  {name:<30} {result.rps:>9.0f} req/s  p50 {result.pct(0.5):6.2f} ms  "
        f"p99 {result.pct(0.99):6.2f} ms  server CPU {result.cpu_us:7.0f} us/req  "
        f"errors {result.errors}/{result.requests}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=1.25)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=12, help="alternating runs of the two operations")
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    rounds: list[tuple[Result, Result]] = []
    with tempfile.TemporaryDirectory(prefix="eksiam-bench-") as tmp:
        workdir = Path(tmp)
        server = start_eksiam(workdir, [])
        try:
            role_arn, tokens = prepare_irsa(server, workdir / "bench.db", args.tokens)
            identity_units = caller_identity_units(server.endpoint)
            web_units = web_identity_units(server.endpoint, role_arn, tokens)
            for _ in range(args.rounds):
                rounds.append((measure(server, identity_units, args), measure(server, web_units, args)))
            user_units = caller_identity_units(server.endpoint, user_key(server))
            as_user = sorted((measure(server, user_units, args) for _ in range(3)), key=lambda r: r.rps)[1]
        finally:
            server.stop()
    print(f"eksiam serve, {args.connections} connections, up to {args.seconds:g} s per operation and round:")
    for number, (identity, web) in enumerate(rounds, 1):
        report(f"{number}: GetCallerIdentity", identity)
        report(f"{number}: AssumeRoleWithWebIdentity", web)
        print(f"  {number}: ratio {web.rps / identity.rps if identity.rps else float('nan'):.2f}")
    report("GetCallerIdentity (user key)", as_user)
    if as_user.errors or any(identity.errors or web.errors for identity, web in rounds):
        print("some requests failed: the numbers above are not comparable", file=sys.stderr)
    identity_rps = statistics.median(identity.rps for identity, _ in rounds)
    web_rps = statistics.median(web.rps for _, web in rounds)
    ratios = [web.rps / identity.rps if identity.rps else float("nan") for identity, web in rounds]
    print(f"GetCallerIdentity: {identity_rps:.0f} req/s")
    print(f"AssumeRoleWithWebIdentity: {web_rps:.0f} req/s")
    print(f"ratio: {statistics.median(ratios):.2f} (median of {len(ratios)} rounds)")
    to_user = web_rps / as_user.rps if as_user.rps else float("nan")
    print(f"ratio to a user-key GetCallerIdentity: {to_user:.2f}")


if __name__ == "__main__":
    main()
