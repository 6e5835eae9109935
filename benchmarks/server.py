"""eksiam serve vs moto_server: the same signed load against both, side by side on loopback.

    python benchmarks/server.py [--connections 16] [--seconds 8] [--max-requests 40000] [--rounds 3]

Both servers run as separate processes on 127.0.0.1 (free ports). eksiam verifies every signature
and enforces IAM authorization (the default); moto runs as it ships. The load generator is one
asyncio process with raw keep-alive HTTP/1.1 connections: requests are signed with botocore's
SigV4Auth *before* timing starts (a pool: one request replayed for reads, one per role name for
CreateRole+DeleteRole), so signing speed does not limit the client. Each scenario runs for at most
``--seconds`` and ``--max-requests``; we print requests/s and latency percentiles for both and the
ratio. Each scenario runs ``--rounds`` times, eksiam and moto in turn, and the ratio reported is
the median of the rounds' ratios: on a shared machine either server's rate drifts by tens of
percent from one minute to the next, and alternating short runs lets both see the same drift.
moto (``moto[server]``) is a benchmark-only tool: installed here on demand, never a project
dependency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID = "AKIAEKSIAMBENCHROOT1"
SECRET = "eksiam/bench/root/secret/0123456789abcdefg"
REGION = "us-east-1"
ROLE = "bench-role"
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    endpoint: str
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds}s")


def start_eksiam(
    workdir: Path,
    extra: Sequence[str],
    *,
    prefix: Sequence[str] = (),
    env: dict[str, str] | None = None,
    log: Path | None = None,
    startup_seconds: float = 60,
) -> Server:
    """``eksiam serve`` on a free port with its store in ``workdir``; ``prefix`` runs it under
    another program (``instructions.py --server``: valgrind), ``env`` adds to its environment."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EKSIAM_"))}
    environment.update(EKSIAM_ACCESS_KEY_ID=AKID, EKSIAM_SECRET_ACCESS_KEY=SECRET, **(env or {}))
    output = (log or workdir / "eksiam.log").open("wb")
    process = subprocess.Popen(
        [
            *prefix,
            sys.executable,
            "-m",
            "eksiam",
            "serve",
            "--port",
            str(port),
            "--data",
            str(workdir / "bench.db"),
            "--no-access-log",
            *extra,
        ],
        stdout=output,
        stderr=output,
        env=environment,
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_healthy(f"{endpoint}/_eksiam/health", process, startup_seconds)
    return Server("eksiam", endpoint, process)


def ensure_moto() -> str:
    found = shutil.which("moto_server")
    if found:
        return found
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "moto[server]"], check=True)
    found = shutil.which("moto_server")
    if not found:
        raise RuntimeError("moto_server is not on PATH after installing moto[server]")
    return found


def start_moto(workdir: Path) -> Server:
    port = free_port()
    log = (workdir / "moto.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [ensure_moto(), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log, env=env
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_healthy(f"{endpoint}/moto-api/", process)
    return Server("moto", endpoint, process)


def signed_bytes(endpoint: str, service: str, body: str) -> bytes:
    """One complete HTTP/1.1 request (keep-alive), form POST signed with SigV4 for ``service``."""
    host = endpoint.split("://", 1)[1]
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Host": host},
    )
    SigV4Auth(Credentials(AKID, SECRET), service, REGION).add_auth(request)
    lines = ["POST / HTTP/1.1", f"Content-Length: {len(request.body)}"]
    lines += [f"{k}: {v.decode() if isinstance(v, bytes) else v}" for k, v in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + request.body


def form(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@dataclass
class Scenario:
    name: str
    # given the endpoint, returns a function i -> list of request bytes sent in sequence as one unit
    build: Callable[[str, int], Callable[[int], list[bytes]]]


def get_role(endpoint: str, count: int) -> Callable[[int], list[bytes]]:
    one = signed_bytes(endpoint, "iam", form(Action="GetRole", RoleName=ROLE, Version="2010-05-08"))
    return lambda i: [one]


def caller_identity(endpoint: str, count: int) -> Callable[[int], list[bytes]]:
    one = signed_bytes(endpoint, "sts", form(Action="GetCallerIdentity", Version="2011-06-15"))
    return lambda i: [one]


def create_delete(endpoint: str, count: int) -> Callable[[int], list[bytes]]:
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    pool = [
        [
            signed_bytes(
                endpoint,
                "iam",
                form(
                    Action="CreateRole",
                    RoleName=f"b{i}-{tag}",
                    AssumeRolePolicyDocument=TRUST,
                    Version="2010-05-08",
                ),
            ),
            signed_bytes(
                endpoint, "iam", form(Action="DeleteRole", RoleName=f"b{i}-{tag}", Version="2010-05-08")
            ),
        ]
        for i in range(count)
    ]
    return lambda i: pool[i]


SCENARIOS = (
    Scenario("iam:GetRole", get_role),
    Scenario("iam:CreateRole+DeleteRole", create_delete),
    Scenario("sts:GetCallerIdentity", caller_identity),
)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Status and whether the server keeps the connection open (moto's server closes it every time)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    keep_alive = True
    for line in head.split(b"\r\n"):
        lowered = line.lower()
        if lowered.startswith(b"content-length:"):
            length = int(line[15:])
        elif lowered.startswith(b"connection:") and b"close" in lowered:
            keep_alive = False
    if length:
        await reader.readexactly(length)
    return status, keep_alive


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc): cost per request, whatever the machine load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu: float = 0.0

    @property
    def cpu_us(self) -> float:
        """Server CPU microseconds per request."""
        return self.server_cpu / self.requests * 1e6 if self.requests else float("nan")

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(
    port: int, units: Callable[[int], list[bytes]], max_units: int, connections: int, seconds: float
) -> Result:
    latencies: list[float] = []
    errors = 0
    next_unit = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal next_unit, errors
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while next_unit < max_units and time.perf_counter() < deadline:
                unit = units(next_unit)
                next_unit += 1
                for request in unit:
                    started = time.perf_counter()
                    if connection is None:
                        connection = await asyncio.open_connection("127.0.0.1", port)
                    reader, writer = connection
                    writer.write(request)
                    status, keep_alive = await _read_response(reader)
                    latencies.append(time.perf_counter() - started)
                    if not keep_alive:
                        writer.close()
                        connection = None
                    if status >= 400:
                        errors += 1
        finally:
            if connection is not None:
                connection[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return Result(len(latencies), errors, elapsed, latencies)


# Where a sampled stack's time goes: the innermost frame whose file matches, first match wins.
LAYERS = (
    ("storage (SQLAlchemy/SQLite)", ("eksiam/storage/", "sqlalchemy/", "sqlite3/")),
    ("policy engine", ("eksiam/policy/",)),
    ("services (IAM/STS/authorizer)", ("eksiam/services/",)),
    ("sigv4", ("eksiam/protocol/sigv4.py",)),
    ("protocol (parse/serialize)", ("eksiam/protocol/",)),
    ("server (ASGI endpoint, worker handoff, metrics)", ("eksiam/server/", "prometheus_client/")),
    ("uvicorn/httptools/event loop", ("uvicorn/", "asyncio/", "uvloop", "httptools")),
)


def profile_layers(raw: Path) -> list[tuple[str, float]]:
    """Share of GIL-holding samples per layer, from a ``py-spy record --gil -f raw`` file."""
    totals: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        layer = "other"
        for frame in reversed(stack.split(";")):
            found = next((name for name, marks in LAYERS if any(m in frame for m in marks)), None)
            if found:
                layer = found
                break
        totals[layer] = totals.get(layer, 0) + int(count)
    total = sum(totals.values()) or 1
    return sorted(((k, v / total) for k, v in totals.items()), key=lambda kv: -kv[1])


def run_scenario(server: Server, scenario: Scenario, args: argparse.Namespace) -> Result:
    units = scenario.build(server.endpoint, args.max_requests)
    # Warm up: one connection, a few hundred requests (imports, caches, SQLite pages).
    asyncio.run(drive(server.port, scenario.build(server.endpoint, 200), 200, 1, 5))
    spy = None
    raw = Path(tempfile.mkdtemp(prefix="eksiam-spy-")) / "profile.txt"
    if args.profile and server.name == "eksiam":
        command = ["py-spy", "record", "--gil", "-r", "200", "-f", "raw", "-o", str(raw)]
        spy = subprocess.Popen(
            [*command, "-d", str(int(args.seconds)), "-p", str(server.process.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.3)
    before = cpu_seconds(server.process.pid)
    result = asyncio.run(drive(server.port, units, args.max_requests, args.connections, args.seconds))
    result.server_cpu = cpu_seconds(server.process.pid) - before
    if spy is not None:
        spy.wait()
        if raw.exists():
            shares = ", ".join(f"{name} {share:.0%}" for name, share in profile_layers(raw))
            print(f"  eksiam profile ({scenario.name}): {shares}")
    return result


def setup(server: Server) -> None:
    iam = boto3.client(
        "iam",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
    )
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--max-requests", type=int, default=40000)
    parser.add_argument("--rounds", type=int, default=3, help="runs per server and scenario, alternating")
    parser.add_argument("--only", choices=["eksiam", "moto"], default=None)
    parser.add_argument("--eksiam-flag", action="append", default=[], help="extra flag for eksiam serve")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample eksiam with py-spy (if installed) and print time per layer",
    )
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with tempfile.TemporaryDirectory(prefix="eksiam-bench-") as tmp:
        workdir = Path(tmp)
        servers: list[Server] = []
        try:
            if args.only in (None, "eksiam"):
                servers.append(start_eksiam(workdir, args.eksiam_flag))
            if args.only in (None, "moto"):
                servers.append(start_moto(workdir))
            for server in servers:
                setup(server)
            print(
                f"{args.connections} connections, <= {args.seconds:g}s, <= {args.max_requests} units per run"
            )
            header = (
                f"{'scenario':28} {'server':7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
                f"{'cpu us/req':>10}"
            )
            print(header)
            for scenario in SCENARIOS:
                ratios: list[tuple[float, float]] = []
                for _ in range(args.rounds):
                    results: dict[str, Result] = {}
                    for server in servers:
                        result = run_scenario(server, scenario, args)
                        results[server.name] = result
                        print(
                            f"{scenario.name:28} {server.name:7} {result.rps:9.0f} {result.pct(0.5):8.2f} "
                            f"{result.pct(0.99):8.2f} {result.errors:7d} {result.cpu_us:10.0f}",
                            flush=True,
                        )
                    if len(results) == 2 and results["moto"].rps:
                        ours, theirs = results["eksiam"], results["moto"]
                        ratios.append((ours.rps / theirs.rps, theirs.cpu_us / ours.cpu_us))
                if ratios:
                    throughput = statistics.median(r[0] for r in ratios)
                    cpu = statistics.median(r[1] for r in ratios)
                    print(
                        f"{scenario.name:28} ratio   {throughput:9.1f}x throughput, "
                        f"{cpu:.1f}x less server CPU per request (median of {len(ratios)})"
                    )
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
