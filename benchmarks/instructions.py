"""Instructions per request of ``AwsEndpoint.handle``, counted by valgrind's callgrind.

    python benchmarks/instructions.py [--scenario get-role|create-delete|caller-identity|web-identity]
                                      [--requests 200] [--against OTHER_SRC] [--server] [--steps]

Wall-clock rates on a shared virtual machine drift by tens of percent between runs of the same
code, which hides a 3% change. An instruction count does not drift: the same code, inputs and hash
seed give the same count whatever else the machine runs. This is the measure for comparing two
versions of the request path; ``server.py`` and ``web_identity.py`` stay the measure of speed.

Each scenario runs in a child process under ``valgrind --tool=callgrind --instr-atstart=no``: it
builds the server's app in process (SQLite in a temporary directory, enforcement on), prepares
pre-signed requests, answers 300 of them to warm caches, then turns counting on (``callgrind_control
-i on``), answers ``--requests`` more through ``AwsEndpoint.handle`` the way the server does on its
event loop (no HTTP, no group fsync), and turns counting off. Garbage collection is off and
``PYTHONHASHSEED`` fixed during the count. ``--against`` counts a second source tree (``src`` of
another checkout, e.g. a ``git worktree`` of an older commit) and prints the ratio.

``--server`` counts the whole ``eksiam serve`` process instead, every thread of it, started under
callgrind and driven over loopback by ``server.py``'s load generator (4 connections, the scenario's
pre-signed requests, 300 units of warm-up): the HTTP layer, the group sync and the event loop are
counted too. Garbage collection is off in the server. Repeated runs agree within 0.2%.

``--steps`` (web-identity) says where one request's instructions go: the child answers one
request with a spy on each step of ``STEPS`` that keeps the step's first arguments, then calls
each step 100 times with them between two toggles and has callgrind dump the count; a step that
does nothing is counted the same way and subtracted (it holds the toggles' own cost). Steps nest
(``_issue`` holds ``seal``), so the column does not add up to the request.

valgrind is a benchmark-only tool, like moto: never a project dependency.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

if TYPE_CHECKING:
    from eksiam.config import Settings
    from eksiam.protocol import HttpRequest
    from eksiam.server.lifespan import Runtime

RequestMaker = Callable[[str, "str | None"], "HttpRequest"]
Units = Callable[[int], "list[HttpRequest]"]
Step = Callable[..., object]

SCENARIOS = ("get-role", "create-delete", "caller-identity", "web-identity")
STEPS = (  # module:attribute of each step of an AssumeRoleWithWebIdentity, as its caller looks it up
    "eksiam.protocol.codecs:QueryFront.route_and_parse",
    "eksiam.server.authentication:Authenticator.__call__",
    "eksiam.services.sts.web_identity:parse_token",
    "eksiam.storage.sql:SqlStore.read_cached",
    "eksiam.services.sts.web_identity:WebIdentityOperations._issuer_keys",
    "eksiam.services.sts.web_identity:verify_signature",
    "eksiam.services.sts.web_identity:check_times",
    "eksiam.services.sts.web_identity:_add_claims",
    "eksiam.services.sts.web_identity:lowered_global_keys",
    "eksiam.services.sts.trust:allows",
    "eksiam.services.sts.base:StsBase._issue",
    "eksiam.services.sts.base:SessionTokens.seal",
    "eksiam.protocol.codecs:QueryCodec.serialize",
)
STEP_CALLS = 100
WARM_UP = 300
SERVER_CONNECTIONS = 4
ACCOUNT = "123456789012"
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def child(scenario: str, requests: int, steps: bool = False) -> None:
    """Runs inside valgrind: prepare, warm up, count ``requests`` answers."""
    from eksiam.config import Settings
    from eksiam.offload import running_inline
    from eksiam.protocol import HttpRequest, HttpResponse
    from eksiam.server.app import build_app
    from eksiam.server.aws_endpoint import _handle
    from eksiam.server.request_notes import RequestNotes

    tmp = tempfile.mkdtemp(prefix="eksiam-instr-")
    settings = Settings(
        data_url=f"sqlite:///{tmp}/bench.db",
        root_access_key_id="AKIAEKSIAMBENCHROOT1",
        root_secret_access_key="eksiam/bench/root/secret/0123456789abcdefg",
    )
    app = build_app(settings)
    runtime = app.runtime
    runtime.on_ready.insert(0, app._attach)
    runtime.start()
    endpoint = app._aws._endpoint
    assert endpoint is not None and settings.root_access_key_id and settings.root_secret_access_key
    credentials = Credentials(settings.root_access_key_id, settings.root_secret_access_key)

    def request(body: str, service: str | None) -> HttpRequest:
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        raw = AWSRequest(method="POST", url="http://127.0.0.1:9/", data=body, headers=headers)
        if service is not None:
            SigV4Auth(credentials, service, settings.region).add_auth(raw)
        pairs = [(k.lower(), v) for k, v in raw.headers.items()] + [("host", "127.0.0.1:9")]
        return HttpRequest("POST", "/", b"", pairs, body.encode(), "127.0.0.1")

    def answer(one: HttpRequest) -> HttpResponse:
        with running_inline(), runtime.store.deferred_sync():
            return _handle(endpoint, one, RequestNotes())

    def iam(action: str, **params: str) -> str:
        response = answer(request(urlencode({"Action": action, "Version": "2010-05-08", **params}), "iam"))
        assert response.status == 200, response.body
        return response.body.decode()

    units = _units(scenario, request, iam, runtime, settings)
    pool = [one for i in range(WARM_UP + requests) for one in units(i)]
    per_unit = len(units(0))
    for one in pool[: WARM_UP * per_unit]:
        assert answer(one).status == 200
    timed = pool[WARM_UP * per_unit :]
    gc.collect()
    gc.disable()
    if steps:
        _count_steps(lambda: answer(timed[0]))
        return
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    for one in timed:
        answer(one)
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
    gc.enable()
    runtime.stop()
    print(f"requests={len(timed)}")


def _count_steps(request: Callable[[], object]) -> None:
    """``--steps``: one request with a spy on every step, then each step replayed (module doc)."""
    import importlib

    calls: dict[str, tuple[Step, tuple[object, ...], dict[str, object]]] = {}
    restore = []
    for step in STEPS:
        module, _, path = step.partition(":")
        owner: object = importlib.import_module(module)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        real = getattr(owner, name)

        def spy(
            *args: object, _step: str = step, _real: Callable[..., object] = real, **kwargs: object
        ) -> object:
            calls.setdefault(_step, (_real, args, kwargs))
            return _real(*args, **kwargs)

        setattr(owner, name, spy)
        restore.append((owner, name, real))
    request()
    for owner, name, real in restore:
        setattr(owner, name, real)
    pid = str(os.getpid())

    def counted(label: str, fn: Callable[[], object]) -> None:
        subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
        for _ in range(STEP_CALLS):
            fn()
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-d", label, pid], check=True, capture_output=True)

    counted("nothing", lambda: None)
    for step in STEPS:
        if step in calls:
            real, args, kwargs = calls[step]
            counted(step, lambda real=real, args=args, kwargs=kwargs: real(*args, **kwargs))
    print(f"steps={','.join(s for s in STEPS if s in calls)}")


def count_steps(source: Path) -> list[tuple[str, float]]:
    """``--steps``: instructions per call of each step of one AssumeRoleWithWebIdentity."""
    env = dict(os.environ, PYTHONPATH=str(source), PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as tmp:
        command = [*_callgrind(Path(tmp)), sys.executable, __file__, "--child", "web-identity", "--steps"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        totals: dict[str, int] = {}
        for dump in Path(tmp).glob("callgrind.out.*"):
            text = dump.read_text(errors="replace")
            label = re.search(r"^desc: Trigger: dump (.+)$", text, re.MULTILINE)
            total = re.search(r"^totals: (\d+)", text, re.MULTILINE)
            if label and total:
                totals[label.group(1)] = int(total.group(1))
    if done.returncode != 0 or "nothing" not in totals:
        raise SystemExit(f"--steps under {source} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    base = totals["nothing"]
    return [(step, (totals[step] - base) / STEP_CALLS) for step in STEPS if step in totals]


def _units(
    scenario: str, request: RequestMaker, iam: Callable[..., str], runtime: Runtime, settings: Settings
) -> Units:
    if scenario == "get-role":
        iam("CreateRole", RoleName="bench-role", AssumeRolePolicyDocument=TRUST)
        one = request(
            urlencode({"Action": "GetRole", "Version": "2010-05-08", "RoleName": "bench-role"}), "iam"
        )
        return lambda i: [one]
    if scenario == "caller-identity":
        one = request(urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"}), "sts")
        return lambda i: [one]
    if scenario == "create-delete":

        def pair(i: int) -> list[HttpRequest]:
            create = {"Action": "CreateRole", "Version": "2010-05-08", "RoleName": f"b{i}"}
            create["AssumeRolePolicyDocument"] = TRUST
            delete = {"Action": "DeleteRole", "Version": "2010-05-08", "RoleName": f"b{i}"}
            return [request(urlencode(create), "iam"), request(urlencode(delete), "iam")]

        return pair
    return _web_identity_units(request, iam, runtime, settings)


def _web_identity_units(
    request: RequestMaker, iam: Callable[..., str], runtime: Runtime, settings: Settings
) -> Units:
    from eksiam.clock import SystemClock
    from eksiam.oidc import issue_service_account_token
    from eksiam.services.oidc_issuers import IssuerRegistry

    registry = IssuerRegistry(runtime.store, SystemClock(), settings)
    issuer = registry.create_issuer(ACCOUNT, "us-east-1", "bench")
    tokens = [
        issue_service_account_token(
            registry, issuer, namespace="bench", service_account="reader", expiration_seconds=86400
        ).token
        for _ in range(64)
    ]
    body = iam(
        "CreateOpenIDConnectProvider",
        Url=issuer,
        **{"ClientIDList.member.1": "sts.amazonaws.com", "ThumbprintList.member.1": "9" * 40},
    )
    provider = re.search(r"<OpenIDConnectProviderArn>(.*?)<", body).group(1)  # type: ignore[union-attr]
    host = issuer.removeprefix("https://")
    condition = {
        "StringEquals": {
            f"{host}:sub": "system:serviceaccount:bench:reader",
            f"{host}:aud": "sts.amazonaws.com",
        }
    }
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    role = re.search(r"<Arn>(.*?)<", iam("CreateRole", RoleName="bench-irsa", AssumeRolePolicyDocument=trust))
    assert role is not None
    pool = [
        request(
            urlencode(
                {
                    "Action": "AssumeRoleWithWebIdentity",
                    "Version": "2011-06-15",
                    "RoleArn": role.group(1),
                    "RoleSessionName": f"bench-{i}",
                    "WebIdentityToken": token,
                    "DurationSeconds": "900",
                }
            ),
            None,
        )
        for i, token in enumerate(tokens)
    ]
    return lambda i: [pool[i % len(pool)]]


def _callgrind(directory: Path) -> list[str]:
    """valgrind counting nothing until ``callgrind_control -i on``, its output in ``directory``."""
    out = directory / "callgrind.out"
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]


def count(source: Path, scenario: str, requests: int) -> float:
    """Instructions per request for ``scenario`` with the eksiam package under ``source``."""
    env = dict(os.environ, PYTHONPATH=str(source), PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            *_callgrind(Path(tmp)),
            sys.executable,
            __file__,
            "--child",
            scenario,
            "--requests",
            str(requests),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    answered = re.search(r"requests=(\d+)", done.stdout)
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or answered is None or collected is None:
        raise SystemExit(f"{scenario} under {source} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return int(collected.group(1)) / int(answered.group(1))


def count_server(source: Path, scenario: str, requests: int) -> float:
    """Instructions per request of the whole ``eksiam serve`` process (HTTP, protocol, group sync,
    every thread) for ``scenario`` driven over loopback, with the package under ``source``."""
    import asyncio

    import web_identity

    import server as load

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        # A sitecustomize ahead of the source turns garbage collection off in the server: a full
        # collection costs tens of millions of instructions and lands in one count and not the next.
        (workdir / "sitecustomize.py").write_text("import gc\n\ngc.disable()\n")
        output = workdir / "valgrind.txt"
        server = load.start_eksiam(
            workdir,
            [],
            prefix=_callgrind(workdir),
            env={"PYTHONPATH": os.pathsep.join((tmp, str(source))), "PYTHONHASHSEED": "0"},
            log=output,
            startup_seconds=300,
        )
        process = server.process
        try:
            if scenario == "web-identity":
                role_arn, tokens = web_identity.prepare_irsa(server, workdir / "bench.db", 64)
                units = web_identity.web_identity_units(server.endpoint, role_arn, tokens)
            else:
                load.setup(server)
                name = {"get-role": "iam:GetRole", "create-delete": "iam:CreateRole+DeleteRole"}.get(
                    scenario, "sts:GetCallerIdentity"
                )
                built = next(s for s in load.SCENARIOS if s.name == name)
                units = built.build(server.endpoint, WARM_UP + requests)
            asyncio.run(load.drive(server.port, units, WARM_UP, SERVER_CONNECTIONS, 300))
            toggle = ["callgrind_control", "-i"]
            subprocess.run([*toggle, "on", str(process.pid)], check=True, capture_output=True)
            result = asyncio.run(load.drive(server.port, units, requests, SERVER_CONNECTIONS, 600))
            subprocess.run([*toggle, "off", str(process.pid)], check=True, capture_output=True)
        finally:
            process.terminate()
            process.wait(120)
        collected = re.findall(r"Collected : (\d+)", output.read_text(errors="replace"))
    if not collected or result.errors or not result.requests:
        raise SystemExit(f"{scenario} under {source} failed: {result.errors} errors")
    return sum(int(n) for n in collected) / result.requests


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=SCENARIOS, action="append")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--against", type=Path, help="another checkout's src directory, counted too")
    parser.add_argument(
        "--server", action="store_true", help="count the whole eksiam serve process, driven over HTTP"
    )
    parser.add_argument(
        "--steps", action="store_true", help="instructions of each step of one AssumeRoleWithWebIdentity"
    )
    parser.add_argument("--child", choices=SCENARIOS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.requests, args.steps)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    here = Path(__file__).resolve().parent.parent / "src"
    if args.steps:
        for step, instructions in count_steps(here):
            print(f"{instructions / 1000:9.1f} k  {step}", flush=True)
        return
    counter = count_server if args.server else count
    for scenario in args.scenario or SCENARIOS:
        mine = counter(here, scenario, args.requests)
        line = f"{scenario:<16} {mine / 1000:9.1f} k instructions/request"
        if args.against is not None:
            theirs = counter(args.against.resolve(), scenario, args.requests)
            line += f"   against: {theirs / 1000:9.1f} k   ratio {mine / theirs:.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
