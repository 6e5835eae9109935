"""AWS requests answered in the HTTP parser's callbacks (aws_http.py), over raw sockets: the bytes a
client sees must be those of uvicorn's own path, in order, whichever path a request takes."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from uvicorn.protocols.http import httptools_impl

from eksiam.clock import ManualClock
from eksiam.server import EksiamApp, aws_http

from .conftest import ROOT_KEY, ROOT_SECRET, LiveApp, run_app, settings_for

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def signed(live_app: LiveApp, service: str, params: dict[str, str], **extra_headers: str) -> bytes:
    """A raw HTTP/1.1 request, SigV4-signed with the root key."""
    body = urlencode(params)
    host = urlsplit(live_app.endpoint).netloc
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Host": host}
    request = AWSRequest(method="POST", url=f"{live_app.endpoint}/", data=body, headers=headers)
    SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), service, "us-east-1").add_auth(request)
    lines = [f"{k}: {v}" for k, v in request.headers.items()]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in extra_headers.items()]
    if "Transfer_Encoding" not in extra_headers:
        lines.append(f"Content-Length: {len(body)}")
        return ("POST / HTTP/1.1\r\n" + "\r\n".join(lines) + "\r\n\r\n" + body).encode()
    chunked = f"{len(body):x}\r\n{body}\r\n0\r\n\r\n"
    return ("POST / HTTP/1.1\r\n" + "\r\n".join(lines) + "\r\n\r\n" + chunked).encode()


def role(name: str) -> dict[str, str]:
    return {
        "Action": "CreateRole",
        "Version": "2010-05-08",
        "RoleName": name,
        "AssumeRolePolicyDocument": TRUST,
    }


CALLER = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}


class Connection:
    """One keep-alive client connection that reads whole responses (Content-Length framed)."""

    def __init__(self, live_app: LiveApp) -> None:
        address = urlsplit(live_app.endpoint)
        self.sock = socket.create_connection((address.hostname, address.port), timeout=10)
        self.pending = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.pending:
            self._read()
        head, _, rest = self.pending.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        status = int(status_line.split()[1])
        length = 0 if status < 200 else int(headers["content-length"])
        while len(rest) < length:
            self._read()
            rest = self.pending.partition(b"\r\n\r\n")[2]
        self.pending = rest[length:]
        return status, headers, rest[:length]

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.pending += chunk

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def connection(live_app: LiveApp) -> Iterator[Connection]:
    opened = Connection(live_app)
    yield opened
    opened.close()


def test_answers_carry_uvicorns_headers_and_a_matching_length(
    live_app: LiveApp, connection: Connection
) -> None:
    connection.send(signed(live_app, "sts", CALLER))
    status, headers, body = connection.response()
    assert status == 200
    assert headers["content-type"] == "text/xml"
    assert "date" in headers and headers["x-amzn-requestid"]
    assert int(headers["content-length"]) == len(body)
    assert b"<Arn>arn:aws:iam::123456789012:root</Arn>" in body


def test_one_connection_mixes_direct_and_uvicorn_requests_in_order(
    live_app: LiveApp, connection: Connection
) -> None:
    connection.send(signed(live_app, "iam", role("mixed-1")))
    assert connection.response()[0] == 200
    connection.send(b"GET /_eksiam/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert connection.response()[2] == b"ok\n"
    connection.send(signed(live_app, "sts", CALLER))
    assert b"GetCallerIdentityResult" in connection.response()[2]
    assert live_app.client("iam").get_role(RoleName="mixed-1")["Role"]["RoleName"] == "mixed-1"


def test_pipelined_writes_and_reads_are_answered_in_order(live_app: LiveApp, connection: Connection) -> None:
    """A write waits for its group sync; a request behind it on the connection must not overtake it."""
    connection.send(
        signed(live_app, "iam", role("piped-1"))
        + signed(live_app, "sts", CALLER)
        + signed(live_app, "iam", role("piped-2"))
        + b"GET /_eksiam/health HTTP/1.1\r\nHost: x\r\n\r\n"
        + signed(live_app, "iam", role("piped-1"))
    )
    bodies = [connection.response() for _ in range(5)]
    assert [status for status, _, _ in bodies] == [200, 200, 200, 200, 409]
    assert b"<RoleName>piped-1</RoleName>" in bodies[0][2]
    assert b"GetCallerIdentityResult" in bodies[1][2]
    assert b"<RoleName>piped-2</RoleName>" in bodies[2][2]
    assert bodies[3][2] == b"ok\n"
    assert b"<Code>EntityAlreadyExists</Code>" in bodies[4][2]


@pytest.mark.parametrize(
    "extra",
    [
        {"Transfer_Encoding": "chunked"},
        {"Expect": "100-continue"},
    ],
    ids=["chunked", "expect-continue"],
)
def test_requests_uvicorn_must_frame_are_still_answered(
    live_app: LiveApp, connection: Connection, extra: dict[str, str]
) -> None:
    connection.send(signed(live_app, "iam", role("framed"), **extra))
    status, _, body = connection.response()
    if status == 100:  # the interim answer to Expect, then the real one
        status, _, body = connection.response()
    assert status == 200, body
    assert b"<RoleName>framed</RoleName>" in body


def test_connection_close_and_http_1_0_are_answered_then_closed(live_app: LiveApp) -> None:
    for request in (
        signed(live_app, "sts", CALLER, Connection="close"),
        signed(live_app, "sts", CALLER).replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1),
    ):
        connection = Connection(live_app)
        try:
            connection.send(request)
            assert connection.response()[0] == 200
        finally:
            connection.close()


def test_a_percent_escaped_admin_path_routes_as_uvicorn_decodes_it(connection: Connection) -> None:
    connection.send(b"GET /%5Feksiam/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert connection.response()[2] == b"ok\n"


def test_a_body_over_the_limit_is_refused_in_the_aws_shape(live_app: LiveApp, connection: Connection) -> None:
    too_long = live_app.app.aws.max_body_bytes + 1
    connection.send(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {too_long}\r\n\r\n".encode()
        + b"a" * too_long
    )
    status, _, body = connection.response()
    assert status == 413
    assert b"<ErrorResponse>" in body


def test_unsigned_and_malformed_requests_get_aws_errors_on_the_direct_path(connection: Connection) -> None:
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    connection.send(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    status, _, answer = connection.response()
    assert status in (400, 403)
    assert b"<Code>MissingAuthenticationToken</Code>" in answer
    connection.send(b"GET /?Action=NoSuchThing HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, answer = connection.response()
    assert 400 <= status < 500
    assert b"<ErrorResponse>" in answer


def test_aws_requests_answered_on_the_loop_build_no_asgi_cycle(
    live_app: LiveApp, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of the direct path: a read, and a write that waits for its group sync, build no
    uvicorn cycle; a non-AWS request keeps uvicorn's own."""
    cycles: list[str] = []

    class Counted(httptools_impl.RequestResponseCycle):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            cycles.append(kwargs["scope"]["path"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httptools_impl, "RequestResponseCycle", Counted)
    monkeypatch.setattr(aws_http, "RequestResponseCycle", Counted)
    for _ in range(3):
        connection.send(signed(live_app, "sts", CALLER))
        assert connection.response()[0] == 200
    assert cycles == []
    connection.send(signed(live_app, "iam", role("cycled")))
    assert connection.response()[0] == 200
    connection.send(b"GET /_eksiam/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert connection.response()[0] == 200
    assert cycles == ["/_eksiam/health"]


def test_shutdown_answers_a_write_still_waiting_for_its_sync_then_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = EksiamApp(settings_for(tmp_path), ManualClock())
    endpoint, server, thread = run_app(app)
    live = LiveApp(app, endpoint, ManualClock())
    release, started = threading.Event(), threading.Event()
    real_sync = app.runtime.store.sync

    def gated() -> None:
        started.set()
        release.wait(10)
        real_sync()

    monkeypatch.setattr(app.runtime.group_sync, "_sync", gated)
    connection = Connection(live)
    try:
        connection.send(signed(live, "iam", role("last-word")))
        assert started.wait(5)
        server.should_exit = True
        time.sleep(0.3)  # uvicorn is shutting down, waiting for this connection
        assert thread.is_alive()
        release.set()
        status, _, body = connection.response()
        assert status == 200 and b"<RoleName>last-word</RoleName>" in body
        assert connection.sock.recv(1) == b""  # then the connection is closed
    finally:
        release.set()
        connection.close()
        server.should_exit = True
        thread.join(20)
    assert not thread.is_alive()


def test_aws_requests_over_tls_on_the_same_port_are_answered_directly(live_app: LiveApp) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the protocol is under test here, not the certificate
    connection = Connection(live_app)
    connection.sock = context.wrap_socket(connection.sock)
    try:
        connection.send(signed(live_app, "iam", role("over-tls")))
        assert connection.response()[0] == 200
        connection.send(signed(live_app, "sts", CALLER))
        status, _, body = connection.response()
        assert status == 200 and b"<Arn>arn:aws:iam::123456789012:root</Arn>" in body
    finally:
        connection.close()
    assert live_app.client("iam").get_role(RoleName="over-tls")["Role"]["RoleName"] == "over-tls"


def test_concurrent_writers_share_batches_and_every_acknowledged_write_is_there(live_app: LiveApp) -> None:
    """Writes of one loop step share one transaction (storage rule 8); a failing one (a duplicate
    name) fails alone, and every acknowledged one is visible once acknowledged."""
    from concurrent.futures import ThreadPoolExecutor

    def worker(n: int) -> list[str]:
        iam = live_app.client("iam")
        made = []
        for i in range(6):
            name = f"batch-{n}-{i}"
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
            assert iam.get_role(RoleName=name)["Role"]["RoleName"] == name  # read after acknowledged write
            try:
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
            except iam.exceptions.EntityAlreadyExistsException:
                pass
            else:
                raise AssertionError("a duplicate name was accepted")
            if i % 2:
                iam.delete_role(RoleName=name)
            else:
                made.append(name)
        return made

    with ThreadPoolExecutor(8) as pool:
        expected = sorted(name for made in pool.map(worker, range(8)) for name in made)
    listed = live_app.client("iam").get_paginator("list_roles").paginate().build_full_result()["Roles"]
    assert sorted(r["RoleName"] for r in listed if r["RoleName"].startswith("batch-")) == expected
