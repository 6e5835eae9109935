"""Keys of external identity providers, fetched over real HTTP from a provider on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from eksiam.clock import ManualClock
from eksiam.oidc import HttpJwksSource
from eksiam.services.sts import IdpUnreachable

KEY = {"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": "sXch", "e": "AQAB"}


@dataclass
class Provider:
    url: str
    documents: dict[str, Any] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def provider() -> Iterator[Provider]:
    state = Provider(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            state.hits.append(self.path)
            body = state.documents.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    state.documents["/.well-known/openid-configuration"] = {
        "issuer": state.url,
        "jwks_uri": state.url + "/jwks",
    }
    state.documents["/jwks"] = {"keys": [KEY]}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def source(clock: ManualClock) -> Iterator[HttpJwksSource]:
    jwks = HttpJwksSource(clock, ttl=300)
    yield jwks
    jwks.close()


def test_keys_come_from_the_jwks_uri_of_the_discovery_document(
    provider: Provider, source: HttpJwksSource
) -> None:
    assert list(source.keys(provider.url)) == [KEY]
    assert provider.hits == ["/.well-known/openid-configuration", "/jwks"]


def test_keys_are_cached_until_the_ttl_passes(
    provider: Provider, source: HttpJwksSource, clock: ManualClock
) -> None:
    source.keys(provider.url)
    clock.advance(299)
    source.keys(provider.url)
    assert len(provider.hits) == 2
    provider.documents["/jwks"] = {"keys": [KEY, {**KEY, "kid": "k2"}]}
    clock.advance(2)
    assert [k["kid"] for k in source.keys(provider.url)] == ["k1", "k2"]
    assert len(provider.hits) == 4


def test_a_discovery_document_for_another_issuer_is_refused(
    provider: Provider, source: HttpJwksSource
) -> None:
    provider.documents["/.well-known/openid-configuration"] = {
        "issuer": "https://accounts.example.com",
        "jwks_uri": provider.url + "/jwks",
    }
    with pytest.raises(IdpUnreachable):
        source.keys(provider.url)


@pytest.mark.parametrize(
    "document",
    [b"not json", b"[1]", {"issuer": None}, {"keys": "nope"}],
)
def test_malformed_documents_are_unreachable_providers(
    provider: Provider, source: HttpJwksSource, document: Any
) -> None:
    if isinstance(document, dict) and "keys" in document:
        provider.documents["/jwks"] = document
    else:
        provider.documents["/.well-known/openid-configuration"] = document
    with pytest.raises(IdpUnreachable):
        source.keys(provider.url)


def test_failures_are_not_cached(provider: Provider, source: HttpJwksSource) -> None:
    saved = provider.documents.pop("/jwks")
    with pytest.raises(IdpUnreachable):
        source.keys(provider.url)
    provider.documents["/jwks"] = saved
    assert list(source.keys(provider.url)) == [KEY]


@pytest.mark.parametrize(
    "issuer",
    ["http://accounts.example.com", "ftp://127.0.0.1/x", "file:///etc/passwd", "not a url"],
)
def test_plain_http_is_only_fetched_from_loopback(source: HttpJwksSource, issuer: str) -> None:
    with pytest.raises(IdpUnreachable):
        source.keys(issuer)


def test_a_jwks_uri_off_loopback_over_http_is_refused(provider: Provider, source: HttpJwksSource) -> None:
    provider.documents["/.well-known/openid-configuration"] = {
        "issuer": provider.url,
        "jwks_uri": "http://keys.example.com/jwks",
    }
    with pytest.raises(IdpUnreachable):
        source.keys(provider.url)
    assert provider.hits == ["/.well-known/openid-configuration"]


def test_a_closed_port_is_unreachable(source: HttpJwksSource) -> None:
    with pytest.raises(IdpUnreachable):
        source.keys("http://127.0.0.1:9")


def test_an_oversized_document_is_refused(provider: Provider, source: HttpJwksSource) -> None:
    provider.documents["/jwks"] = b'{"keys": [' + b'{"kty": "RSA"},' * 200_000 + b"{}]}"
    with pytest.raises(IdpUnreachable):
        source.keys(provider.url)


def test_an_unknown_kid_refetches_at_most_every_thirty_seconds(
    provider: Provider, source: HttpJwksSource, clock: ManualClock
) -> None:
    source.keys(provider.url, "k1")
    provider.documents["/jwks"] = {"keys": [KEY, {**KEY, "kid": "k2"}]}
    clock.advance(10)
    assert [k["kid"] for k in source.keys(provider.url, "k2")] == ["k1"]  # too soon to ask again
    clock.advance(21)
    assert [k["kid"] for k in source.keys(provider.url, "k2")] == ["k1", "k2"]
    assert [k["kid"] for k in source.keys(provider.url, "k1")] == ["k1", "k2"]
    assert len(provider.hits) == 4
