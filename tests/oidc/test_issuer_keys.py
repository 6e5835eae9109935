"""Issuers per cluster: URL shape, keys in the store, rotation, sharing between servers."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import timedelta

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.services.oidc_issuers import MAX_TOKEN_SECONDS, ROTATION_PERIOD, IssuerRegistry, issuer_id_of
from eksiam.storage import Store, open_store

ACCOUNT = "123456789012"
URL = re.compile(r"^https://oidc\.eks\.us-east-1\.amazonaws\.com/id/[0-9A-F]{32}$")


def registry(store: Store, clock: ManualClock | None = None) -> IssuerRegistry:
    return IssuerRegistry(store, clock or ManualClock(), Settings())


def rfc7638_thumbprint(jwk: dict[str, str]) -> str:
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def test_an_issuer_url_has_the_eks_shape(store: Store) -> None:
    url = registry(store).create_issuer(ACCOUNT, "us-east-1", "demo")
    assert URL.match(url)
    china = registry(store).create_issuer(ACCOUNT, "cn-north-1", "demo")
    assert china.startswith("https://oidc.eks.cn-north-1.amazonaws.com.cn/id/")


def test_creating_the_same_cluster_issuer_twice_returns_the_first(store: Store) -> None:
    reg = registry(store)
    first = reg.create_issuer(ACCOUNT, "us-east-1", "demo")
    assert reg.create_issuer(ACCOUNT, "us-east-1", "demo") == first
    assert reg.create_issuer(ACCOUNT, "us-west-2", "demo") != first
    assert reg.create_issuer("210987654321", "us-east-1", "demo") != first
    assert reg.issuer_for_cluster(ACCOUNT, "us-east-1", "DEMO") == first


def test_the_published_key_is_an_rs256_signing_key_named_by_its_thumbprint(store: Store) -> None:
    reg = registry(store)
    issuer_id = issuer_id_of(reg.create_issuer(ACCOUNT, "us-east-1", "demo"))
    assert issuer_id is not None
    keys = reg.public_keys(issuer_id)
    assert keys is not None and len(keys) == 1
    (jwk,) = keys
    assert set(jwk) == {"kty", "kid", "use", "alg", "n", "e"}
    assert (jwk["kty"], jwk["use"], jwk["alg"], jwk["e"]) == ("RSA", "sig", "RS256", "AQAB")
    assert jwk["kid"] == rfc7638_thumbprint(jwk)
    modulus = base64.urlsafe_b64decode(jwk["n"] + "=" * (-len(jwk["n"]) % 4))
    assert len(modulus) * 8 == 2048


def test_each_issuer_has_its_own_key(store: Store) -> None:
    reg = registry(store)
    a = issuer_id_of(reg.create_issuer(ACCOUNT, "us-east-1", "a"))
    b = issuer_id_of(reg.create_issuer(ACCOUNT, "us-east-1", "b"))
    assert a and b
    assert reg.public_keys(a) != reg.public_keys(b)


def test_an_unknown_issuer_has_no_keys(store: Store) -> None:
    assert registry(store).public_keys("0" * 32) is None


def test_the_key_rotates_after_seven_days_and_the_old_one_stays_until_its_tokens_expire(store: Store) -> None:
    clock = ManualClock()
    reg = registry(store, clock)
    url = reg.create_issuer(ACCOUNT, "us-east-1", "demo")
    issuer_id = issuer_id_of(url)
    assert issuer_id is not None
    first = reg.signing_key(url).kid
    clock.advance((ROTATION_PERIOD - timedelta(seconds=1)).total_seconds())
    assert reg.signing_key(url).kid == first
    clock.advance(1)
    second = reg.signing_key(url).kid
    assert second != first
    published = [k["kid"] for k in reg.public_keys(issuer_id) or []]
    assert published == [second, first]
    clock.advance(MAX_TOKEN_SECONDS)
    assert [k["kid"] for k in reg.public_keys(issuer_id) or []] == [second, first]
    clock.advance(6 * 60)
    assert [k["kid"] for k in reg.public_keys(issuer_id) or []] == [second]


def test_concurrent_rotations_converge_on_one_key(store: Store) -> None:
    clock = ManualClock()
    reg = registry(store, clock)
    issuer_id = issuer_id_of(reg.create_issuer(ACCOUNT, "us-east-1", "demo"))
    assert issuer_id is not None
    seen = reg.issuer(issuer_id)
    assert seen is not None
    # Two servers both decide to rotate from the same observed key: the second finds it moved.
    winner = reg.rotate(issuer_id)
    from eksiam.services.oidc_issuers.keys import SigningKey
    from eksiam.services.oidc_issuers.registry import _rotate

    loser = store.write(
        lambda uow: _rotate(uow, issuer_id, seen["ActiveKid"], SigningKey.generate(), clock.now())
    )
    assert loser == winner
    assert len(reg.public_keys(issuer_id) or []) == 2


def test_servers_sharing_a_database_sign_with_the_same_key(store_url: str) -> None:
    one, two = open_store(store_url), open_store(store_url)
    try:
        clock = ManualClock()
        url = registry(one, clock).create_issuer(ACCOUNT, "us-east-1", "demo")
        assert registry(two, clock).signing_key(url).kid == registry(one, clock).signing_key(url).kid
        clock.advance(ROTATION_PERIOD.total_seconds())
        rotated = registry(two, clock).signing_key(url).kid
        assert registry(one, clock).signing_key(url).kid == rotated
    finally:
        one.close()
        two.close()


def test_deleting_an_issuer_removes_its_keys(store: Store) -> None:
    reg = registry(store)
    url = reg.create_issuer(ACCOUNT, "us-east-1", "demo")
    issuer_id = issuer_id_of(url)
    assert issuer_id is not None
    assert reg.delete_issuer(ACCOUNT, "us-east-1", "demo") is True
    assert reg.public_keys(issuer_id) is None
    assert reg.issuer_for_cluster(ACCOUNT, "us-east-1", "demo") is None
    assert store.read(lambda uow: uow.list("oidc-signing-key", "", prefix=issuer_id)) == []
    assert reg.delete_issuer(ACCOUNT, "us-east-1", "demo") is False


def test_the_signing_key_never_appears_in_a_repr(store: Store) -> None:
    reg = registry(store)
    key = reg.signing_key(reg.create_issuer(ACCOUNT, "us-east-1", "demo"))
    assert "PRIVATE" not in repr(key)
