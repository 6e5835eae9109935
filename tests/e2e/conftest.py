"""A real ``eksiam serve`` process for end-to-end tests.

``eksiam_server`` (one per test module) and ``start_eksiam`` (a factory, for servers with other flags)
start ``python -m eksiam serve --port 0`` on 127.0.0.1 with a fresh SQLite file under tmp and known
root credentials, wait for the "eksiam ready at <url>" line and a 200 from ``/_eksiam/health``, and
stop the process (SIGTERM, then SIGKILL after 15 s) when the test is done. The server's log goes to
a file next to the database; a server that fails to start puts its log into the failure message.

Use ``server.client("iam")`` for boto3 and ``server.aws("iam", "get-role", ...)`` for the AWS CLI.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

ROOT_ACCESS_KEY_ID = "AKIAEKSIAMTESTROOT01"
ROOT_SECRET_ACCESS_KEY = "eksiam/e2e/root/secret/key/0123456789abcd"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
STARTUP_SECONDS = 60


@dataclass
class RunningServer:
    endpoint: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    region: str
    account_id: str
    data_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    workdir: Path

    def client(self, service: str, **overrides: Any) -> Any:
        """A boto3 client for this server (root credentials unless overridden)."""
        options: dict[str, Any] = {
            "endpoint_url": self.endpoint,
            "region_name": self.region,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }
        options.update(overrides)
        return boto3.session.Session().client(service, **options)

    def cli_env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=self.access_key_id,
            AWS_SECRET_ACCESS_KEY=self.secret_access_key,
            AWS_DEFAULT_REGION=self.region,
            AWS_REGION=self.region,
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_CONFIG_FILE=str(self.workdir / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.workdir / "no-aws-credentials"),
            AWS_PAGER="",
        )
        env.update(overrides)
        return env

    def aws(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run the real ``aws`` CLI against this server from ``workdir`` (so ``file://x.json`` works)."""
        result = subprocess.run(
            ["aws", *args, "--output", "json"],
            cwd=self.workdir,
            env=env or self.cli_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def aws_json(self, *args: str) -> Any:
        out = self.aws(*args).stdout
        return json.loads(out) if out.strip() else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _wait_ready(process: subprocess.Popen[bytes], log_path: Path) -> str:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + STARTUP_SECONDS
    buffer = b""
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if not selector.select(timeout=0.2):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            for line in buffer.decode(errors="replace").splitlines():
                if line.startswith("eksiam ready at "):
                    return line.split()[3]
    finally:
        selector.close()
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    raise RuntimeError(f"eksiam serve did not become ready; output: {buffer!r}\nlog:\n{log[-4000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    if process.stdout is not None:
        process.stdout.close()


def launch(
    workdir: Path, *flags: str, env: dict[str, str] | None = None, data_url: str | None = None
) -> RunningServer:
    """Start ``eksiam serve`` in ``workdir``; the caller must ``_stop`` the process."""
    workdir.mkdir(parents=True, exist_ok=True)
    url = data_url or f"sqlite:///{workdir / 'eksiam.db'}"
    log_path = workdir / "server.log"
    server_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EKSIAM_"))}
    server_env.update(
        EKSIAM_ACCESS_KEY_ID=ROOT_ACCESS_KEY_ID,
        EKSIAM_SECRET_ACCESS_KEY=ROOT_SECRET_ACCESS_KEY,
        PYTHONUNBUFFERED="1",
    )
    server_env.update(env or {})
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "eksiam",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data",
                url,
                *flags,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            env=server_env,
            cwd=workdir,
        )
    try:
        endpoint = _wait_ready(process, log_path)
        health = httpx.get(f"{endpoint}/_eksiam/health", timeout=10)
        assert health.status_code == 200, health.text
    except BaseException:
        _stop(process)
        raise
    return RunningServer(
        endpoint=endpoint,
        access_key_id=server_env["EKSIAM_ACCESS_KEY_ID"],
        secret_access_key=server_env["EKSIAM_SECRET_ACCESS_KEY"],
        region=REGION,
        account_id=server_env.get("EKSIAM_ACCOUNT_ID", ACCOUNT_ID),
        data_url=url,
        log_path=log_path,
        process=process,
        workdir=workdir,
    )


@pytest.fixture(scope="module")
def eksiam_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server per test module, enforcement on."""
    server = launch(tmp_path_factory.mktemp("eksiam"))
    try:
        yield server
    finally:
        _stop(server.process)


@pytest.fixture
def start_eksiam(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start servers with extra flags (``start_eksiam("--no-enforce")``); all stopped after the test."""
    started: list[RunningServer] = []

    def start(*flags: str, env: dict[str, str] | None = None, data_url: str | None = None) -> RunningServer:
        server = launch(tmp_path / f"server{len(started)}", *flags, env=env, data_url=data_url)
        started.append(server)
        return server

    yield start
    for server in started:
        _stop(server.process)


def stop_server(server: RunningServer) -> None:
    """Stop a server early (graceful SIGTERM), e.g. to check what survives a restart."""
    _stop(server.process)
