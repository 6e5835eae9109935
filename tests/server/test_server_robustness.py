"""Hostile or broken requests get an AWS-shaped 4xx, never a 500, and the server keeps serving."""

from __future__ import annotations

import socket

import httpx
import pytest

from .conftest import LiveApp

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
AUTH_VARIANTS = [
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 Credential=",
    "AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host, Signature=00",
    "AWS4-HMAC-SHA256 Credential=AKIAX/20240101/us-east-1/iam/aws4_request, SignedHeaders=, Signature=",
    "AWS4-HMAC-SHA256 Credential=AKIAX/20240101/us-east-1/iam/aws4_request SignedHeaders=host Signature=1",
    "AWS4-HMAC-SHA256 garbage",
    "Bearer abc.def.ghi",
    "AWS AKIAX:c2lnbmF0dXJl",
    "AWS4-HMAC-SHA256 Credential=\u00e9\u00e9/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, "
    "Signature=z",
]


@pytest.mark.parametrize("authorization", AUTH_VARIANTS)
def test_broken_authorization_headers_are_client_errors(live_app: LiveApp, authorization: str) -> None:
    headers = {**FORM, "Authorization": authorization, "X-Amz-Date": "20240101T000000Z"}
    response = httpx.post(
        live_app.endpoint + "/",
        content=b"Action=ListRoles&Version=2010-05-08",
        headers={k: v.encode("utf-8") for k, v in headers.items()},
    )
    assert 400 <= response.status_code < 500, response.text
    assert b"<ErrorResponse" in response.content and b"<Code>" in response.content


@pytest.mark.parametrize(
    "x_amz_date", ["", "yesterday", "2024-01-01T00:00:00Z", "20241399T000000Z", "99999999T999999Z"]
)
def test_broken_dates_are_client_errors(live_app: LiveApp, x_amz_date: str) -> None:
    authorization = (
        "AWS4-HMAC-SHA256 Credential=AKIAX/20240101/us-east-1/iam/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00"
    )
    headers = {**FORM, "Authorization": authorization, "X-Amz-Date": x_amz_date}
    response = httpx.post(
        live_app.endpoint + "/", content=b"Action=ListRoles&Version=2010-05-08", headers=headers
    )
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(
    "query",
    [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Date=x&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=0&X-Amz-Expires=-5",
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Credential=%ZZ",
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=99999999999",
    ],
)
def test_broken_presigned_queries_are_client_errors(live_app: LiveApp, query: str) -> None:
    response = httpx.get(f"{live_app.endpoint}/?{query}")
    assert 400 <= response.status_code < 500, response.text


def raw_exchange(endpoint: str, payload: bytes) -> bytes:
    host, port = endpoint.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


@pytest.mark.parametrize(
    "path",
    [b"/%ZZ", b"/\xff\xfe", b"/clusters/%2e%2e/%2e%2e/x", b"//../../etc/passwd", b"/clusters/" + b"a" * 5000],
)
def test_odd_raw_paths_never_break_the_server(live_app: LiveApp, path: bytes) -> None:
    reply = raw_exchange(
        live_app.endpoint,
        b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    status = int(reply[9:12]) if reply.startswith(b"HTTP/1.1 ") else 400
    assert 400 <= status < 500, reply[:300]
    assert httpx.get(f"{live_app.endpoint}/_eksiam/health").status_code == 200


def test_body_that_is_not_a_form_is_a_client_error(live_app: LiveApp) -> None:
    response = httpx.post(live_app.endpoint + "/", content=b"\x00\xff{not a form%%", headers=FORM)
    assert 400 <= response.status_code < 500
    assert httpx.get(f"{live_app.endpoint}/_eksiam/health").status_code == 200
