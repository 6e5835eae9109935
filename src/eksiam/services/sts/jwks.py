"""Where the verification keys of an issuer come from.

eksiam's own cluster issuers keep their keys in the store (``eksiam.services.oidc_issuers``), and
STS reads them in the same transaction as the role and the IAM provider. Every other issuer is on the
network: STS reads its discovery document and ``jwks_uri`` the way AWS does. That fetching is I/O, so
it lives above the services layer (``eksiam.oidc.remote.HttpJwksSource``) and is handed to
``StsService`` as a ``JwksSource``; without one, external issuers answer IDPCommunicationError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class IdpUnreachable(Exception):
    """The discovery document or key set could not be fetched or was not a key set."""


class JwksSource(Protocol):
    def keys(self, issuer: str, kid: object = None) -> Sequence[Mapping[str, Any]]:
        """The JWKs (``keys`` member of the JWKS) that ``issuer`` publishes now.

        ``issuer`` is the token's ``iss`` as sent (``https://accounts.example.com``), ``kid`` the
        token's key id (a cached key set without it may be stale). Implementations cache, and raise
        ``IdpUnreachable`` when nothing usable can be had.
        """
        ...


class NoRemoteIssuers:
    """The default source: no network, so every external issuer is unreachable."""

    def keys(self, issuer: str, kid: object = None) -> Sequence[Mapping[str, Any]]:
        raise IdpUnreachable(issuer)
