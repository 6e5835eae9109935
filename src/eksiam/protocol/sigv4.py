"""Verify AWS Signature Version 4 as the service side does, from the raw request.

Rules (AWS General Reference, "Create a signed AWS API request" and "Elements of an AWS API request
signature"; architecture.md 3.5):

1. The canonical request is rebuilt from what arrived on the wire, never from a parsed form: the raw
   (still percent-encoded) path, encoded once more for non-S3 services with dot segments and
   duplicate slashes removed; the query pairs decoded and re-encoded with the RFC 3986 unreserved set,
   sorted by key then value (``X-Amz-Signature`` dropped for presigned URLs); exactly the headers that
   ``SignedHeaders`` names, lower-cased, values trimmed and inner whitespace collapsed, repeated
   headers joined with ``,``.
2. The payload hash is computed from the body. A client's ``X-Amz-Content-SHA256`` is compared with it,
   never trusted (botocore's signer trusts it because it wrote it; a server must not).
3. ``host`` and ``x-amz-date`` (or ``date``) must be signed. The credential scope's date must be the
   day of X-Amz-Date, its service the one the request was routed to, its region the one the service
   signs with (IAM and STS's global endpoint sign as us-east-1: callers pass ``allowed_regions``).
4. Header-signed requests more than 15 minutes away from the server clock fail with AWS's exact
   "Signature expired" text; presigned URLs live for ``X-Amz-Expires`` seconds (at most 7 days).
5. The key id and the request's ``X-Amz-Security-Token`` are resolved through an injected
   ``lookup`` callable (a session's token carries the session), so this module stays pure: no
   storage, no clock of its own. Session keys must arrive with their token.
6. Signatures are compared with ``hmac.compare_digest``; derived signing keys are cached per
   (secret, date, region, service). Nothing here puts a secret, token or signature into an error.

The HMAC chain is the four-step derivation of the SigV4 spec, written out here rather than borrowed
from botocore's ``SigV4Auth.signature``: that helper reads the date from a botocore request context
and re-derives the key on every call, while a server wants the derived key cached.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import ClassVar, Protocol, TypeVar
from urllib.parse import quote, unquote_to_bytes

from botocore.utils import normalize_url_path

from eksiam.errors import ServiceError

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
SKEW = timedelta(minutes=15)
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_HTTP_DATE_FORMAT = "%a, %d %b %Y %H:%M:%S GMT"
_UNRESERVED = "-_.~"


class SigV4Error(ServiceError):
    """Base of the authentication failures; ``code`` and ``status`` are the Query-protocol ones.

    REST-JSON services (EKS) name the same failures differently: ``json_code`` holds that name.
    """

    json_code: ClassVar[str] = ""


class InvalidClientTokenId(SigV4Error):
    code = "InvalidClientTokenId"
    json_code = "UnrecognizedClientException"
    status = 403
    sender_fault = True

    def __init__(self) -> None:
        super().__init__("The security token included in the request is invalid.")


class SignatureDoesNotMatch(SigV4Error):
    code = "SignatureDoesNotMatch"
    json_code = "InvalidSignatureException"
    status = 403
    sender_fault = True

    DEFAULT: ClassVar[str] = (
        "The request signature we calculated does not match the signature you provided. Check your AWS "
        "Secret Access Key and signing method. Consult the service documentation for details."
    )

    def __init__(self, message: str = DEFAULT) -> None:
        super().__init__(message)


class IncompleteSignature(SigV4Error):
    code = "IncompleteSignature"
    json_code = "IncompleteSignatureException"
    status = 400
    sender_fault = True


class MissingAuthenticationToken(SigV4Error):
    code = "MissingAuthenticationToken"
    json_code = "MissingAuthenticationTokenException"
    status = 403
    sender_fault = True

    def __init__(self) -> None:
        super().__init__("Request is missing Authentication Token")


class ExpiredToken(SigV4Error):
    code = "ExpiredToken"
    json_code = "ExpiredTokenException"
    status = 403
    sender_fault = True

    def __init__(self) -> None:
        super().__init__("The security token included in the request is expired")


@dataclass(frozen=True, slots=True)
class KeyMaterial:
    """What the verifier needs to know about an access key id; returned by the lookup callable."""

    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expiration: datetime | None = None


class SigningKey(Protocol):
    """The shape the lookup returns; services' ``ResolvedKey`` and ``KeyMaterial`` both fit it."""

    @property
    def secret_access_key(self) -> str: ...

    @property
    def session_token(self) -> str | None: ...

    @property
    def expiration(self) -> datetime | None: ...


K = TypeVar("K", bound=SigningKey)


class RawRequest(Protocol):
    """The request as received: the protocol layer's ``HttpRequest`` fits this shape."""

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def query(self) -> str | bytes: ...

    @property
    def headers(self) -> Sequence[tuple[str, str]]: ...

    @property
    def body(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A standalone ``RawRequest`` (for callers without an HttpRequest, such as EKS token checks)."""

    method: str
    path: str
    query: str | bytes
    headers: Sequence[tuple[str, str]]
    body: bytes = b""


@dataclass(slots=True)
class Verified:
    """A request whose signature checked out: who signed it and in which scope."""

    access_key_id: str
    region: str
    service: str
    signed_at: datetime
    presigned: bool


@dataclass(slots=True)
class _Signature:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    date_header: str
    security_token: str | None
    expires: int | None


def has_signature(request: RawRequest) -> bool:
    """True when the request carries any SigV4 material (header or presigned query)."""
    if any(name.lower() == "authorization" for name, _ in request.headers):
        return True
    query = _raw(request.query)
    return query.find(b"X-Amz-Algorithm=") >= 0 or query.find(b"X-Amz-Credential=") >= 0


def verify(
    request: RawRequest,
    *,
    service: str,
    lookup: Callable[[str, str | None], K | None],
    now: datetime,
    allowed_regions: Collection[str] | None = None,
) -> tuple[Verified, K]:
    """Check the request's SigV4 signature for ``service``; raise a ``SigV4Error`` if it fails.

    Returns the verified scope and whatever ``lookup`` returned for the key id (the caller's
    identity travels with it, so the server looks the key up once).
    """
    query = _query_pairs(_raw(request.query))
    values = _header_values(request.headers)
    sig = _from_query(query) if _is_presigned(query) else _from_header(values)
    _check_scope(sig, service, allowed_regions)
    signed_at = _check_time(sig, now)
    key = lookup(sig.access_key_id, sig.security_token)
    if key is None:
        raise InvalidClientTokenId()
    if key.session_token is not None:
        if sig.security_token is None or not hmac.compare_digest(
            sig.security_token.encode(), key.session_token.encode()
        ):
            raise InvalidClientTokenId()
        if key.expiration is not None and key.expiration <= now:
            raise ExpiredToken()
    elif sig.security_token is not None:
        raise InvalidClientTokenId()
    canonical = canonical_request(
        request, query, values, sig.signed_headers, presigned=sig.expires is not None
    )
    string_to_sign = "\n".join(
        (
            ALGORITHM,
            sig.amz_date or signed_at.strftime(_AMZ_DATE_FORMAT),
            f"{sig.date}/{sig.region}/{sig.service}/aws4_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        )
    )
    mac = _signer(key.secret_access_key, sig.date, sig.region, sig.service).copy()
    mac.update(string_to_sign.encode())
    expected = mac.hexdigest()
    if not hmac.compare_digest(expected.encode(), sig.signature.encode()):
        raise SignatureDoesNotMatch()
    return Verified(sig.access_key_id, sig.region, sig.service, signed_at, sig.expires is not None), key


def canonical_request(
    request: RawRequest,
    query: Sequence[tuple[bytes, bytes]],
    values: Mapping[str, list[str]],
    signed_headers: Sequence[str],
    *,
    presigned: bool,
) -> str:
    """The SigV4 canonical request rebuilt from the raw request (rule 1 and 2 above)."""
    canonical_query = "&".join(
        f"{k}={v}"
        for k, v in sorted(
            (quote(k, safe=_UNRESERVED), quote(v, safe=_UNRESERVED))
            for k, v in query
            if not (presigned and k == b"X-Amz-Signature")
        )
    )
    lines = []
    for name in signed_headers:
        found = values.get(name)
        if found is None:
            raise SignatureDoesNotMatch()
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in found)}\n")
    return "\n".join(
        (
            request.method.upper(),
            "/" if request.path == "/" else quote(normalize_url_path(request.path), safe="/~"),
            canonical_query,
            "".join(lines),
            ";".join(signed_headers),
            _payload_hash(request, values),
        )
    )


def _payload_hash(request: RawRequest, values: Mapping[str, list[str]]) -> str:
    actual = hashlib.sha256(request.body).hexdigest() if request.body else EMPTY_SHA256
    claimed = values.get("x-amz-content-sha256")
    if claimed is None:
        return actual
    sent = claimed[-1].strip()
    if sent == UNSIGNED_PAYLOAD:
        return sent
    if not hmac.compare_digest(sent.lower().encode(), actual.encode()):
        raise SignatureDoesNotMatch()
    return sent


def _header_values(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(value)
    return values


def _raw(query: str | bytes) -> bytes:
    return query if isinstance(query, bytes) else query.encode("utf-8")


def _query_pairs(query: bytes) -> list[tuple[bytes, bytes]]:
    pairs = []
    for part in query.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        pairs.append((unquote_to_bytes(key.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" "))))
    return pairs


def _is_presigned(query: Sequence[tuple[bytes, bytes]]) -> bool:
    return any(k == b"X-Amz-Algorithm" or k == b"X-Amz-Credential" for k, _ in query)


def _from_header(values: Mapping[str, list[str]]) -> _Signature:
    auth = values.get("authorization")
    if not auth:
        raise MissingAuthenticationToken()
    header = auth[0].strip()
    algorithm, _, rest = header.partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm}'")
    params: dict[str, str] = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise IncompleteSignature(
                f"'{item}' not a valid key=value pair (missing equal-sign) in Authorization header"
            )
        params[key.strip()] = value.strip()
    date = (values.get("x-amz-date") or [""])[0].strip()
    http_date = (values.get("date") or [""])[0].strip()
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if not date and not http_date:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if problems:
        raise IncompleteSignature(" ".join(problems))
    token = values.get("x-amz-security-token")
    return _build(
        params["Credential"],
        params["SignedHeaders"],
        params["Signature"],
        amz_date=date,
        date_header=http_date,
        token=token[0].strip() if token else None,
        expires=None,
    )


def _from_query(query: Sequence[tuple[bytes, bytes]]) -> _Signature:
    params = {k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, v in query}
    if params.get("X-Amz-Algorithm") != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{params.get('X-Amz-Algorithm', '')}'")
    missing = [
        name
        for name in ("X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
        if not params.get(name)
    ]
    if missing:
        raise IncompleteSignature(
            " ".join(f"AWS query-string parameters must include '{name}'." for name in missing)
            + " Re-examine the query-string parameters."
        )
    raw_expires = params.get("X-Amz-Expires", "")
    if not raw_expires.isdigit():
        raise IncompleteSignature("X-Amz-Expires must be a non-negative integer number of seconds.")
    expires = int(raw_expires)
    if expires > MAX_PRESIGN_EXPIRES:
        raise IncompleteSignature("X-Amz-Expires must be less than a week (in seconds) that is 604800")
    return _build(
        params["X-Amz-Credential"],
        params["X-Amz-SignedHeaders"],
        params["X-Amz-Signature"],
        amz_date=params["X-Amz-Date"],
        date_header="",
        token=params.get("X-Amz-Security-Token"),
        expires=expires,
    )


def _build(
    credential: str,
    signed_headers: str,
    signature: str,
    *,
    amz_date: str,
    date_header: str,
    token: str | None,
    expires: int | None,
) -> _Signature:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise IncompleteSignature(
            f"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
            f" got '{_redact_credential(credential)}'"
        )
    names = tuple(signed_headers.split(";"))
    if "host" not in names:
        raise SignatureDoesNotMatch(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    if "x-amz-date" not in names and "date" not in names and expires is None:
        raise SignatureDoesNotMatch(
            "'X-Amz-Date' or 'Date' must be a 'SignedHeader' in the AWS Authorization."
        )
    return _Signature(
        parts[0], parts[1], parts[2], parts[3], names, signature, amz_date, date_header, token, expires
    )


def _redact_credential(credential: str) -> str:
    """The scope without the key id: error texts never echo key material in full."""
    _, _, scope = credential.partition("/")
    return scope


def _check_scope(sig: _Signature, service: str, allowed_regions: Collection[str] | None) -> None:
    if sig.service != service:
        raise SignatureDoesNotMatch(f"Credential should be scoped to correct service: '{service}'. ")
    if allowed_regions is not None and sig.region not in allowed_regions:
        raise SignatureDoesNotMatch(f"Credential should be scoped to a valid region, not '{sig.region}'.")


def _check_time(sig: _Signature, now: datetime) -> datetime:
    signed_at = _parse_date(sig)
    day = sig.amz_date[:8] if sig.amz_date else signed_at.strftime("%Y%m%d")
    if sig.date != day:
        source = "x-amz-date" if sig.amz_date else "date"
        raise SignatureDoesNotMatch(
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{sig.date}' != '{day}', from '{source}'."
        )
    if sig.expires is not None:
        if now > signed_at + timedelta(seconds=sig.expires):
            raise SignatureDoesNotMatch(
                f"Signature expired: {_fmt(signed_at)} is now earlier than "
                f"{_fmt(now - timedelta(seconds=sig.expires))} ({_fmt(now)} - {sig.expires} sec.)"
            )
        if signed_at > now + SKEW:
            raise SignatureDoesNotMatch(
                f"Signature not yet current: {_fmt(signed_at)} is still later than "
                f"{_fmt(now + SKEW)} ({_fmt(now)} + 15 min.)"
            )
        return signed_at
    if signed_at < now - SKEW:
        raise SignatureDoesNotMatch(
            f"Signature expired: {_fmt(signed_at)} is now earlier than {_fmt(now - SKEW)} "
            f"({_fmt(now)} - 15 min.)"
        )
    if signed_at > now + SKEW:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {_fmt(signed_at)} is still later than {_fmt(now + SKEW)} "
            f"({_fmt(now)} + 15 min.)"
        )
    return signed_at


def _parse_date(sig: _Signature) -> datetime:
    try:
        text = sig.amz_date
        if (
            len(text) == 16
            and text[8] == "T"
            and text[15] == "Z"
            and text[:8].isdigit()
            and text[9:15].isdigit()
        ):
            return datetime(
                int(text[0:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[9:11]),
                int(text[11:13]),
                int(text[13:15]),
                tzinfo=UTC,
            )
        if text:
            raise ValueError(text)
        return datetime.strptime(sig.date_header, _HTTP_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise IncompleteSignature(
            "Date must be in ISO-8601 'basic format'. Got '"
            + (sig.amz_date or sig.date_header)
            + "'. See http://en.wikipedia.org/wiki/ISO_8601"
        ) from None


def _fmt(when: datetime) -> str:
    return when.astimezone(UTC).strftime(_AMZ_DATE_FORMAT)


@lru_cache(maxsize=4096)
def _signer(secret: str, date: str, region: str, service: str) -> hmac.HMAC:
    """An HMAC keyed with the derived key for one day, region and service, copied per request: the
    four derivation HMACs are saved, and a copy costs less than keying a new HMAC."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, digestmod=hashlib.sha256)
