"""Web identity token checks, including the attacks STS must refuse (issue 5 "JWT attacks")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from eksiam.services.sts import (
    ExpiredTokenException,
    IDPRejectedClaim,
    InvalidIdentityToken,
    check_times,
    parse_token,
    verify_signature,
)
from eksiam.services.sts.web_tokens import WebToken, matched_audience

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ISSUER_A = "https://oidc.eks.us-east-1.amazonaws.com/id/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
ISSUER_B = "https://oidc.eks.us-east-1.amazonaws.com/id/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, private=True)


def jwk_of(key: RSAKey | ECKey, kid: str, alg: str = "RS256") -> dict[str, Any]:
    public = key.as_dict(private=False)
    return {**public, "kid": kid, "use": "sig", "alg": alg}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(NOW.timestamp())
    base = {
        "iss": ISSUER_A,
        "sub": "system:serviceaccount:default:app",
        "aud": ["sts.amazonaws.com"],
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
    }
    base.update(overrides)
    return base


def sign(key: RSAKey | ECKey, kid: str, body: dict[str, Any], alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": kid}, body, key, algorithms=[alg], default_type=None)


@pytest.fixture(scope="module")
def key_a() -> RSAKey:
    return rsa_key()


@pytest.fixture(scope="module")
def key_b() -> RSAKey:
    return rsa_key()


def test_a_token_signed_by_a_published_key_verifies(key_a: RSAKey) -> None:
    token = parse_token(sign(key_a, "ka", claims()))
    verify_signature(token, [jwk_of(key_a, "ka")])
    assert token.issuer == ISSUER_A
    assert token.subject == "system:serviceaccount:default:app"


def test_an_ec_signed_token_from_an_external_provider_verifies() -> None:
    key = ECKey.generate_key("P-256", private=True)
    token = parse_token(sign(key, "ec1", claims(), alg="ES256"))
    verify_signature(token, [jwk_of(key, "ec1", alg="ES256")])


@pytest.mark.parametrize(("alg", "curve"), [("ES256", "P-256"), ("ES384", "P-384"), ("ES512", "P-521")])
def test_each_ecdsa_algorithm_verifies_with_a_key_on_its_own_curve(alg: str, curve: str) -> None:
    key = ECKey.generate_key(curve, private=True)
    verify_signature(parse_token(sign(key, "ec", claims(), alg=alg)), [jwk_of(key, "ec", alg=alg)])


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_each_rsa_algorithm_verifies(key_a: RSAKey, alg: str) -> None:
    verify_signature(parse_token(sign(key_a, "ka", claims(), alg=alg)), [jwk_of(key_a, "ka", alg=alg)])


def test_an_ecdsa_signature_made_on_another_curve_is_refused() -> None:
    # The header says ES256 and the JWK carries no alg, but the key is a P-384 key.
    key = ECKey.generate_key("P-384", private=True)
    header = b64(json.dumps({"alg": "ES256", "kid": "ec"}).encode())
    payload = b64(json.dumps(claims()).encode())
    raw = sign(key, "ec", claims(), alg="ES384").split(".")[2]
    public = {k: v for k, v in jwk_of(key, "ec", alg="ES384").items() if k != "alg"}
    with pytest.raises(InvalidIdentityToken):
        verify_signature(parse_token(f"{header}.{payload}.{raw}"), [public])


def test_an_ecdsa_signature_of_the_wrong_length_is_refused() -> None:
    key = ECKey.generate_key("P-256", private=True)
    header, payload, signature = sign(key, "ec", claims(), alg="ES256").split(".")
    longer = b64(base64.urlsafe_b64decode(signature + "==") + b"\x00")
    with pytest.raises(InvalidIdentityToken):
        verify_signature(parse_token(f"{header}.{payload}.{longer}"), [jwk_of(key, "ec", alg="ES256")])


def test_a_token_with_critical_extensions_is_refused(key_a: RSAKey) -> None:
    # RFC 7515 4.1.11: a verifier that does not understand a "crit" extension must reject the JWS
    # (b64: false, RFC 7797, would otherwise change what the signature covers).
    header = b64(json.dumps({"alg": "RS256", "kid": "ka", "crit": ["b64"], "b64": False}).encode())
    payload = b64(json.dumps(claims()).encode())
    private = key_a.get_op_key("sign")
    signature = private.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    token = parse_token(f"{header}.{payload}.{b64(signature)}")
    with pytest.raises(InvalidIdentityToken):
        verify_signature(token, [jwk_of(key_a, "ka")])


@pytest.mark.parametrize("bad", ["+", "/", "=", " ", "*", "\n", "\x00", ".", "\u0100", "==", "AAA"])
def test_parts_must_be_strict_base64url(key_a: RSAKey, bad: str) -> None:
    # "AAA" makes the 342-character signature one longer than a multiple of four: no base64 text is
    header, payload, signature = sign(key_a, "ka", claims()).split(".")
    with pytest.raises(InvalidIdentityToken) as err:
        parse_token(f"{header}.{payload}.{signature[:10]}{bad}{signature[10:]}")
    assert err.value.message.startswith("The ID Token provided is not a valid JWT")


def test_a_jwk_that_does_not_import_is_skipped_not_fatal(key_a: RSAKey) -> None:
    token = parse_token(sign(key_a, "ka", claims()))
    broken = {**jwk_of(key_a, "ka"), "n": "not-a-modulus!"}
    verify_signature(token, [broken, jwk_of(key_a, "ka")])
    with pytest.raises(InvalidIdentityToken):
        verify_signature(token, [broken])


@pytest.mark.parametrize(
    "text",
    ["", "abc", "a.b", "a.b.c.d", "not base64!.eyJ9.sig", f"{b64(b'[1,2]')}.{b64(b'{}')}.sig", "..."],
)
def test_text_that_is_not_a_jwt_is_refused_as_such(text: str) -> None:
    with pytest.raises(InvalidIdentityToken) as err:
        parse_token(text)
    assert err.value.message.startswith("The ID Token provided is not a valid JWT")


def test_alg_none_is_refused(key_a: RSAKey) -> None:
    raw = f"{b64(json.dumps({'alg': 'none', 'kid': 'ka'}).encode())}.{b64(json.dumps(claims()).encode())}."
    with pytest.raises(InvalidIdentityToken):
        verify_signature(parse_token(raw), [jwk_of(key_a, "ka")])


def test_hs256_signed_with_the_public_key_is_refused(key_a: RSAKey) -> None:
    public_pem = key_a.as_pem(private=False)
    header = b64(json.dumps({"alg": "HS256", "kid": "ka"}).encode())
    payload = b64(json.dumps(claims()).encode())
    mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidIdentityToken) as err:
        verify_signature(parse_token(f"{header}.{payload}.{b64(mac)}"), [jwk_of(key_a, "ka")])
    assert "could not be validated" in err.value.message


def test_an_unknown_kid_is_refused(key_a: RSAKey) -> None:
    token = parse_token(sign(key_a, "not-published", claims()))
    with pytest.raises(InvalidIdentityToken) as err:
        verify_signature(token, [jwk_of(key_a, "ka")])
    assert err.value.message.startswith("Couldn't retrieve verification key from your identity provider")


def test_a_kid_borrowed_from_another_issuer_does_not_verify(key_a: RSAKey, key_b: RSAKey) -> None:
    # Issuer B's key signs a token that claims issuer A and uses A's kid: A's key set must reject it.
    forged = parse_token(sign(key_b, "ka", claims(iss=ISSUER_A)))
    with pytest.raises(InvalidIdentityToken):
        verify_signature(forged, [jwk_of(key_a, "ka")])


def test_a_tampered_payload_is_refused(key_a: RSAKey) -> None:
    header, _payload, signature = sign(key_a, "ka", claims()).split(".")
    evil = b64(json.dumps(claims(sub="system:serviceaccount:kube-system:admin")).encode())
    with pytest.raises(InvalidIdentityToken) as err:
        verify_signature(parse_token(f"{header}.{evil}.{signature}"), [jwk_of(key_a, "ka")])
    assert "could not be validated" in err.value.message


SHA256_INFO = bytes.fromhex("3031300d060960864801650304020105000420")  # RFC 8017 9.2 note 1
SHA384_INFO = bytes.fromhex("3041300d060960864801650304020205000430")


def raw_signed(key: RSAKey, encoded: Any) -> str:
    """A token whose signature is the RSA private operation on ``encoded(signing_input)``, the
    RFC 8017 encoded message built by the test, so malformed encodings are really signed."""
    numbers = key.get_op_key("sign").private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    size = (n.bit_length() + 7) // 8
    header = b64(json.dumps({"alg": "RS256", "kid": "ka"}).encode())
    payload = b64(json.dumps(claims()).encode())
    message = encoded(f"{header}.{payload}".encode(), size)
    signature = pow(int.from_bytes(message, "big"), d, n).to_bytes(size, "big")
    return f"{header}.{payload}.{b64(signature)}"


def pkcs1(block: bytes, size: int, kind: bytes = b"\x01", fill: bytes = b"\xff") -> bytes:
    return b"\x00" + kind + fill * (size - len(block) - 3) + b"\x00" + block


def test_a_correctly_encoded_raw_signature_verifies(key_a: RSAKey) -> None:
    # The construction the refusals below vary: EMSA-PKCS1-v1_5 with SHA-256 (RFC 8017 9.2).
    token = raw_signed(key_a, lambda data, size: pkcs1(SHA256_INFO + hashlib.sha256(data).digest(), size))
    verify_signature(parse_token(token), [jwk_of(key_a, "ka")])


@pytest.mark.parametrize(
    "encoded",
    [
        # DigestInfo without its NULL parameters: RFC 8017 compares the whole encoding.
        lambda data, size: pkcs1(
            bytes.fromhex("302f300b0609608648016503040201") + b"\x04\x20" + hashlib.sha256(data).digest(),
            size,
        ),
        # A SHA-384 digest under an RS256 header.
        lambda data, size: pkcs1(SHA384_INFO + hashlib.sha384(data).digest(), size),
        # Bytes after the digest (the Bleichenbacher 2006 forgery shape).
        lambda data, size: pkcs1(SHA256_INFO + hashlib.sha256(data).digest() + b"\x00" * 8, size),
        # Block type 2 (encryption padding) instead of 1.
        lambda data, size: pkcs1(SHA256_INFO + hashlib.sha256(data).digest(), size, b"\x02", b"\x5a"),
        # Padding that is not all 0xFF.
        lambda data, size: pkcs1(SHA256_INFO + hashlib.sha256(data).digest(), size, fill=b"\xfe"),
        # The digest of other data.
        lambda data, size: pkcs1(SHA256_INFO + hashlib.sha256(data + b"x").digest(), size),
    ],
    ids=["no-null", "sha384-digest", "trailing-bytes", "block-type-2", "padding-not-ff", "other-data"],
)
def test_a_signature_whose_encoded_message_differs_is_refused(key_a: RSAKey, encoded: Any) -> None:
    with pytest.raises(InvalidIdentityToken) as err:
        verify_signature(parse_token(raw_signed(key_a, encoded)), [jwk_of(key_a, "ka")])
    assert "could not be validated" in err.value.message


@pytest.mark.parametrize("change", ["leading-zero", "truncated", "modulus"])
def test_a_signature_that_is_not_exactly_the_modulus_length_is_refused(key_a: RSAKey, change: str) -> None:
    header, payload, signature = sign(key_a, "ka", claims()).split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    n = key_a.get_op_key("verify").public_numbers().n
    changed = {
        "leading-zero": b"\x00" + raw,  # same integer, k + 1 octets (RFC 8017 8.2.2 step 1)
        "truncated": raw[1:],
        "modulus": n.to_bytes(len(raw), "big"),  # the integer n itself is out of range
    }[change]
    with pytest.raises(InvalidIdentityToken):
        verify_signature(parse_token(f"{header}.{payload}.{b64(changed)}"), [jwk_of(key_a, "ka")])


def test_a_key_whose_jwk_names_another_algorithm_is_not_used(key_a: RSAKey) -> None:
    token = parse_token(sign(key_a, "ka", claims(), alg="RS512"))
    with pytest.raises(InvalidIdentityToken):
        verify_signature(token, [jwk_of(key_a, "ka", alg="RS256")])


def test_without_kid_each_key_of_the_family_is_tried(key_a: RSAKey, key_b: RSAKey) -> None:
    raw = jwt.encode({"alg": "RS256"}, claims(), key_a, default_type=None)
    verify_signature(parse_token(raw), [jwk_of(key_b, "kb"), jwk_of(key_a, "ka")])


def audience_of(token: WebToken, client_ids: list[str]) -> str:
    return matched_audience(token, client_ids, token.audiences)


def test_audience_must_be_a_registered_client_id(key_a: RSAKey) -> None:
    token = parse_token(sign(key_a, "ka", claims(aud=["other-audience"])))
    with pytest.raises(InvalidIdentityToken) as err:
        audience_of(token, ["sts.amazonaws.com"])
    assert err.value.message == "Incorrect token audience"


def test_audience_may_be_a_string_or_any_member_of_a_list(key_a: RSAKey) -> None:
    assert audience_of(parse_token(sign(key_a, "ka", claims(aud="app"))), ["app"]) == "app"
    listed = parse_token(sign(key_a, "ka", claims(aud=["x", "app"])))
    assert audience_of(listed, ["app"]) == "app"


def test_azp_is_the_audience_that_counts_when_present(key_a: RSAKey) -> None:
    token = parse_token(sign(key_a, "ka", claims(aud=["app"], azp="web-client")))
    with pytest.raises(InvalidIdentityToken):
        audience_of(token, ["app"])
    assert audience_of(token, ["web-client"]) == "web-client"


def test_an_expired_token_answers_expired_token_with_both_times(key_a: RSAKey) -> None:
    exp = int((NOW - timedelta(minutes=6)).timestamp())
    token = parse_token(sign(key_a, "ka", claims(exp=exp)))
    with pytest.raises(ExpiredTokenException) as err:
        check_times(token, NOW, NOW.timestamp())
    assert err.value.message == (
        f"Token expired: current date/time {int(NOW.timestamp())} must be before the expiration "
        f"date/time {exp}"
    )
    assert err.value.status == 400


def test_five_minutes_of_clock_skew_are_allowed(key_a: RSAKey) -> None:
    check_times(parse_token(sign(key_a, "ka", claims(exp=int(NOW.timestamp()) - 240))), NOW, NOW.timestamp())
    future = int((NOW + timedelta(minutes=4)).timestamp())
    check_times(parse_token(sign(key_a, "ka", claims(nbf=future, iat=future))), NOW, NOW.timestamp())


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_token_not_yet_valid_is_rejected(key_a: RSAKey, claim: str) -> None:
    later = int((NOW + timedelta(minutes=10)).timestamp())
    with pytest.raises(IDPRejectedClaim) as err:
        check_times(parse_token(sign(key_a, "ka", claims(**{claim: later}))), NOW, NOW.timestamp())
    assert err.value.status == 403


@pytest.mark.parametrize("exp", [None, "tomorrow", True, float("nan"), float("inf")])
def test_exp_must_be_a_finite_number(key_a: RSAKey, exp: Any) -> None:
    body = claims()
    if exp is None:
        del body["exp"]
    else:
        body["exp"] = exp
    raw = f"{b64(json.dumps({'alg': 'RS256', 'kid': 'ka'}).encode())}.{b64(json.dumps(body).encode())}.x"
    with pytest.raises(InvalidIdentityToken):
        check_times(parse_token(raw), NOW, NOW.timestamp())


def test_an_absurdly_large_exp_does_not_crash(key_a: RSAKey) -> None:
    check_times(parse_token(sign(key_a, "ka", claims(exp=10**30))), NOW, NOW.timestamp())


@pytest.mark.parametrize("missing", ["iss", "sub"])
def test_iss_and_sub_are_required(key_a: RSAKey, missing: str) -> None:
    body = claims()
    del body[missing]
    token = parse_token(sign(key_a, "ka", body))
    with pytest.raises(InvalidIdentityToken):
        _ = token.issuer if missing == "iss" else token.subject


@pytest.mark.parametrize(
    "note", ["short", "n" * 2000]
)  # a short header is kept once decoded; a long one is not
def test_headers_short_or_long_read_the_same_token_after_token(key_a: RSAKey, note: str) -> None:
    for subject in ("system:serviceaccount:a:one", "system:serviceaccount:a:two"):
        raw = jwt.encode({"alg": "RS256", "kid": "ka", "typ": note}, claims(sub=subject), key_a)
        token = parse_token(raw)
        assert token.header["typ"] == note and token.subject == subject
        verify_signature(token, [jwk_of(key_a, "ka")])
