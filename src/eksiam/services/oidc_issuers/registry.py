"""The OIDC issuer of every eksiam cluster: its URL, its signing keys in the store, their rotation.

EKS gives each cluster an issuer ``https://oidc.eks.<region>.amazonaws.com/id/<32 upper-case hex>``
(``.amazonaws.com.cn`` in China) and rotates its signing key every 7 days, publishing the previous
key until the tokens it signed have expired (EKS User Guide, "Technical overview" and "Fetch signing
keys to validate OIDC tokens"). This module keeps that state in the store so that every server using
the same database signs and verifies with the same keys.

Record layout (storage interface rules; ``""`` = global)::

  oidc-issuer          ""    <IssuerId>
      IssuerId Issuer Account Region ClusterName CreateDate ActiveKid
      Keys [{Kid, Jwk (public), CreateDate, RetireAfter?}]   newest first
  oidc-issuer-cluster  acct  "<region>|<lower cluster name>"  IssuerId Issuer
  oidc-signing-key     ""    "<IssuerId>|<Kid>"               Kid PrivateKey (PKCS#8 PEM) CreateDate

Rule 1 - the issuer record alone answers "which keys are published": serving the JWKS or verifying
a token reads one record and never a private key.

Rule 2 - rotation is one transaction that re-reads the issuer record; when another server rotated
first (``ActiveKid`` moved), the candidate key is dropped, so concurrent rotations converge on one key.
A retired key stays published until ``RetireAfter`` = rotation time + the longest token lifetime.

Rule 3 - keys are generated before the transaction (RSA generation is slow and the store may re-run
the transaction function); the function itself only reads and writes records.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from eksiam import ids
from eksiam.arn import PARTITIONS
from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.services.oidc_issuers.keys import SigningKey
from eksiam.storage.interface import Record, Store, UnitOfWork

ISSUER = "oidc-issuer"
ISSUER_CLUSTER = "oidc-issuer-cluster"
SIGNING_KEY = "oidc-signing-key"
GLOBAL = ""

ROTATION_PERIOD = timedelta(days=7)
# Longest service-account token eksiam signs; EKS projected tokens live 24 hours at most.
MAX_TOKEN_SECONDS = 86400
MIN_TOKEN_SECONDS = 600
RETIRED_KEY_GRACE = timedelta(seconds=MAX_TOKEN_SECONDS) + timedelta(minutes=5)

_ISSUER_URL = re.compile(r"^https://oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/id/(?P<id>[0-9A-F]{32})$")


class UnknownCluster(LookupError):
    """No issuer exists for the (account, region, cluster) asked about."""


def issuer_url(region: str, issuer_id: str) -> str:
    domain = PARTITIONS["aws-cn"] if region.startswith("cn-") else PARTITIONS["aws"]
    return f"https://oidc.eks.{region}.{domain}/id/{issuer_id}"


@lru_cache(maxsize=1024)
def issuer_id_of(url: str) -> str | None:
    """The 32-hex id when ``url`` has the shape of an EKS issuer URL, else None."""
    match = _ISSUER_URL.match(url)
    return match.group("id") if match else None


def published_keys(record: Record, now: datetime) -> list[dict[str, Any]]:
    """The public JWKs an issuer serves at ``now``: the active key and retired keys still in grace."""
    return [
        dict(entry["Jwk"])
        for entry in record.get("Keys", [])
        if entry.get("RetireAfter") is None or datetime.fromisoformat(entry["RetireAfter"]) > now
    ]


def issuer_record(uow: UnitOfWork, url: str) -> Record | None:
    """The record of the eksiam issuer whose URL is exactly ``url``."""
    issuer_id = issuer_id_of(url)
    record = uow.get(ISSUER, GLOBAL, issuer_id) if issuer_id else None
    return record if record is not None and record["Issuer"] == url else None


def add_issuer(
    uow: UnitOfWork,
    *,
    account: str,
    region: str,
    cluster_name: str,
    key: SigningKey,
    issuer_id: str,
    now: datetime,
) -> str:
    """Create the issuer inside the caller's transaction (EKS CreateCluster); returns its URL.

    Idempotent per cluster: when the cluster already has an issuer, its URL is returned unchanged.
    """
    cluster_key = _cluster_key(region, cluster_name)
    existing = uow.get(ISSUER_CLUSTER, account, cluster_key)
    if existing is not None:
        return str(existing["Issuer"])
    url = issuer_url(region, issuer_id)
    stamp = now.isoformat()
    uow.put(
        ISSUER,
        GLOBAL,
        issuer_id,
        {
            "IssuerId": issuer_id,
            "Issuer": url,
            "Account": account,
            "Region": region,
            "ClusterName": cluster_name,
            "CreateDate": stamp,
            "ActiveKid": key.kid,
            "Keys": [_key_entry(key, stamp)],
        },
        create=True,
    )
    uow.put(ISSUER_CLUSTER, account, cluster_key, {"IssuerId": issuer_id, "Issuer": url}, create=True)
    _put_private(uow, issuer_id, key, stamp)
    return url


def remove_issuer(uow: UnitOfWork, *, account: str, region: str, cluster_name: str) -> bool:
    """Delete the issuer and its keys inside the caller's transaction (EKS DeleteCluster)."""
    link = uow.get(ISSUER_CLUSTER, account, _cluster_key(region, cluster_name))
    if link is None:
        return False
    issuer_id = str(link["IssuerId"])
    for key, _ in uow.list(SIGNING_KEY, GLOBAL, prefix=f"{issuer_id}|"):
        uow.delete(SIGNING_KEY, GLOBAL, key)
    uow.delete(ISSUER, GLOBAL, issuer_id)
    uow.delete(ISSUER_CLUSTER, account, _cluster_key(region, cluster_name))
    return True


class IssuerRegistry:
    """Issuer operations with their own transactions, for EKS, the OIDC endpoints and the CLI."""

    def __init__(self, store: Store, clock: Clock, settings: Settings) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings

    def create_issuer(self, account: str, region: str, cluster_name: str) -> str:
        key = SigningKey.generate()
        issuer_id = ids.hex_id(16)
        now = self.clock.now()
        return self.store.write(
            lambda uow: add_issuer(
                uow,
                account=account,
                region=region,
                cluster_name=cluster_name,
                key=key,
                issuer_id=issuer_id,
                now=now,
            )
        )

    def delete_issuer(self, account: str, region: str, cluster_name: str) -> bool:
        return self.store.write(
            lambda uow: remove_issuer(uow, account=account, region=region, cluster_name=cluster_name)
        )

    def issuer_for_cluster(self, account: str, region: str, cluster_name: str) -> str | None:
        link = self.store.read(
            lambda uow: uow.get(ISSUER_CLUSTER, account, _cluster_key(region, cluster_name))
        )
        return None if link is None else str(link["Issuer"])

    def public_keys(self, issuer_id: str) -> list[dict[str, Any]] | None:
        """The JWKS ``keys`` of an issuer, or None when there is no such issuer."""
        record = self.store.read(lambda uow: uow.get(ISSUER, GLOBAL, issuer_id))
        return None if record is None else published_keys(record, self.clock.now())

    def issuer(self, issuer_id: str) -> Record | None:
        return self.store.read(lambda uow: uow.get(ISSUER, GLOBAL, issuer_id))

    def signing_key(self, issuer_url_: str) -> SigningKey:
        """The key that signs now, rotating first when the active one is older than 7 days."""
        issuer_id = issuer_id_of(issuer_url_)
        if issuer_id is None:
            raise UnknownCluster(issuer_url_)
        now = self.clock.now()
        record, private = self.store.read(lambda uow: _active(uow, issuer_id))
        if record is None or private is None:
            raise UnknownCluster(issuer_url_)
        if now - datetime.fromisoformat(record["Keys"][0]["CreateDate"]) >= ROTATION_PERIOD:
            self.rotate(issuer_id)
            record, private = self.store.read(lambda uow: _active(uow, issuer_id))
            if record is None or private is None:
                raise UnknownCluster(issuer_url_)
        return SigningKey(kid=str(private["Kid"]), private_pem=str(private["PrivateKey"]).encode())

    def rotate(self, issuer_id: str) -> str:
        """Make a new key the signer; returns the active kid afterwards (see rule 2)."""
        candidate = SigningKey.generate()
        now = self.clock.now()
        observed = self.store.read(lambda uow: uow.get(ISSUER, GLOBAL, issuer_id))
        if observed is None:
            raise UnknownCluster(issuer_id)
        seen_kid = observed["ActiveKid"]
        return self.store.write(lambda uow: _rotate(uow, issuer_id, seen_kid, candidate, now))


def _rotate(uow: UnitOfWork, issuer_id: str, seen_kid: str, key: SigningKey, now: datetime) -> str:
    record = uow.get(ISSUER, GLOBAL, issuer_id)
    if record is None:
        raise UnknownCluster(issuer_id)
    if record["ActiveKid"] != seen_kid:
        return str(record["ActiveKid"])
    stamp = now.isoformat()
    retire = (now + RETIRED_KEY_GRACE).isoformat()
    kept: list[dict[str, Any]] = [_key_entry(key, stamp)]
    for entry in record["Keys"]:
        if entry.get("RetireAfter") is None:
            entry = {**entry, "RetireAfter": retire}
        if datetime.fromisoformat(entry["RetireAfter"]) > now:
            kept.append(entry)
        else:
            uow.delete(SIGNING_KEY, GLOBAL, f"{issuer_id}|{entry['Kid']}")
    uow.put(ISSUER, GLOBAL, issuer_id, {**record, "ActiveKid": key.kid, "Keys": kept})
    _put_private(uow, issuer_id, key, stamp)
    return key.kid


def _active(uow: UnitOfWork, issuer_id: str) -> tuple[Record | None, Record | None]:
    record = uow.get(ISSUER, GLOBAL, issuer_id)
    if record is None:
        return None, None
    return record, uow.get(SIGNING_KEY, GLOBAL, f"{issuer_id}|{record['ActiveKid']}")


def _key_entry(key: SigningKey, stamp: str) -> dict[str, Any]:
    return {"Kid": key.kid, "Jwk": key.public_jwk(), "CreateDate": stamp, "RetireAfter": None}


def _put_private(uow: UnitOfWork, issuer_id: str, key: SigningKey, stamp: str) -> None:
    uow.put(
        SIGNING_KEY,
        GLOBAL,
        f"{issuer_id}|{key.kid}",
        {"Kid": key.kid, "PrivateKey": key.private_pem.decode(), "CreateDate": stamp},
    )


def _cluster_key(region: str, cluster_name: str) -> str:
    return f"{region}|{cluster_name.lower()}"
