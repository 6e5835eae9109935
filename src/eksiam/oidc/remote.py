"""Keys of identity providers that are not eksiam clusters, fetched the way STS fetches them.

STS reads ``<iss>/.well-known/openid-configuration``, then the key set at its ``jwks_uri``
(IAM User Guide "Create an OpenID Connect (OIDC) identity provider"; re:Post "InvalidIdentityToken":
both must answer within 5 seconds). Rules:

1. Only ``https://`` URLs are fetched, except that an issuer on a loopback address may use
   ``http://`` so that local identity providers work in tests; a ``jwks_uri`` must obey the same rule.
2. The discovery document's ``issuer`` must equal the token's ``iss`` (OpenID Connect Discovery 1.0,
   section 4.3), so one provider cannot publish keys for another.
3. A document larger than 1 MiB is refused without reading further.
4. Key sets are cached per issuer for ``ttl`` seconds; failures are not cached. A token whose ``kid``
   the cached set lacks triggers a fresh fetch (the provider may have rotated), at most once per
   ``MIN_REFRESH`` seconds per issuer, so random key ids cannot make STS hammer a provider.
   Anything that goes wrong is ``IdpUnreachable``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from eksiam.clock import Clock
from eksiam.offload import may_block
from eksiam.services.sts import IdpUnreachable

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
DEFAULT_TTL = 300.0
TIMEOUT = 5.0
MAX_DOCUMENT_BYTES = 1 << 20
MIN_REFRESH = 30.0
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def fetchable(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in _LOOPBACK


class HttpJwksSource:
    """A ``JwksSource`` over HTTP with a per-issuer cache; safe to share between threads."""

    def __init__(self, clock: Clock, *, ttl: float = DEFAULT_TTL, client: httpx.Client | None = None) -> None:
        self._clock = clock
        self._ttl = ttl
        self._client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    def keys(self, issuer: str, kid: object = None) -> Sequence[Mapping[str, Any]]:
        now = self._clock.now().timestamp()
        with self._lock:
            cached = self._cache.get(issuer)
        if cached is not None and now - cached[0] < self._ttl:
            known = kid is None or any(k.get("kid") == kid for k in cached[1])
            if known or now - cached[0] < MIN_REFRESH:
                return cached[1]
        may_block()  # a fetch waits on the network: not on the server's event loop
        keys = self._fetch(issuer)
        with self._lock:
            self._cache[issuer] = (now, keys)
        return keys

    def _fetch(self, issuer: str) -> list[dict[str, Any]]:
        if not fetchable(issuer):
            raise IdpUnreachable(issuer)
        discovery = self._get_json(issuer.rstrip("/") + DISCOVERY_SUFFIX)
        jwks_uri = discovery.get("jwks_uri")
        if discovery.get("issuer") != issuer or not isinstance(jwks_uri, str) or not fetchable(jwks_uri):
            raise IdpUnreachable(issuer)
        keys = self._get_json(jwks_uri).get("keys")
        if not isinstance(keys, list):
            raise IdpUnreachable(issuer)
        return [k for k in keys if isinstance(k, dict)]

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            with self._client.stream("GET", url, headers={"Accept": "application/json"}) as response:
                response.raise_for_status()
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_DOCUMENT_BYTES:
                        raise IdpUnreachable(url)
            body = json.loads(bytes(data))
        except (httpx.HTTPError, ValueError):
            raise IdpUnreachable(url) from None
        if not isinstance(body, dict):
            raise IdpUnreachable(url)
        return body

    def close(self) -> None:
        self._client.close()
