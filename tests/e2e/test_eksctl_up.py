"""``eksiam up``, the README's first command: it serves on the embedded SQLite store, prints the
endpoint, the credentials to export and the next commands, and creates nothing nobody asked for."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

pytestmark = pytest.mark.e2e


def read_banner(process: subprocess.Popen[bytes], until: str, seconds: float = 90) -> str:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline, text = time.monotonic() + seconds, ""
    try:
        while until not in text and time.monotonic() < deadline and process.poll() is None:
            if selector.select(timeout=0.5):
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                text += chunk.decode(errors="replace")
    finally:
        selector.close()
    return text


@pytest.fixture
def up(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EKSIAM_"))}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "share"), PYTHONUNBUFFERED="1")
    with (tmp_path / "up.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "eksiam", "up", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            cwd=tmp_path,
        )
    try:
        yield process, tmp_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def test_up_prints_endpoint_credentials_and_next_steps_and_creates_nothing(up):
    process, home = up
    banner = read_banner(process, "Ctrl+C")
    assert "Ctrl+C" in banner, (banner, (home / "up.log").read_text())
    exports = dict(re.findall(r"^export (AWS_[A-Z_]+)=(\S+)$", banner, re.MULTILINE))
    endpoint = exports["AWS_ENDPOINT_URL"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", endpoint) and f"eksiam is up at {endpoint}" in banner
    assert "eksiam create iamserviceaccount" in banner and "eksiam create cluster" in banner
    assert (home / "share" / "eksiam" / "eksiam.db").exists()  # the embedded SQLite store

    session = boto3.session.Session(
        aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        region_name=exports["AWS_REGION"],
    )
    identity = session.client("sts", endpoint_url=endpoint).get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert session.client("eks", endpoint_url=endpoint).list_clusters()["clusters"] == []
    assert session.client("iam", endpoint_url=endpoint).list_roles()["Roles"] == []
    assert session.client("cloudformation", endpoint_url=endpoint).describe_stacks()["Stacks"] == []


def test_up_on_a_taken_port_says_so(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EKSIAM_"))}
        env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "share"))
        result = subprocess.run(
            [sys.executable, "-m", "eksiam", "up", "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert result.returncode == 1
    assert (
        f"Error: port {port} on 127.0.0.1 is already in use" in result.stderr and "--port 0" in result.stderr
    )
    assert "Traceback" not in result.stderr
