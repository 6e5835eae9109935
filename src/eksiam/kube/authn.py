"""EKS bearer tokens: ``k8s-aws-v1.`` + base64url of a presigned sts:GetCallerIdentity URL.

What the EKS authenticator (aws-iam-authenticator) checks before it lets STS say who signed:

1. The prefix, then unpadded base64url, then a URL whose path is ``/`` and whose query holds
   ``Action=GetCallerIdentity`` and ``Version=2011-06-15`` and nothing outside the SigV4 query keys.
2. ``X-Amz-SignedHeaders`` includes ``x-k8s-aws-id``, and the token is meant for this cluster: the
   ``x-k8s-aws-id`` header the client signed is the cluster name (the header is not in the URL, so
   the name is supplied again here, and a wrong name breaks the signature).
3. The token lives 15 minutes from ``X-Amz-Date`` whatever ``X-Amz-Expires`` says (clients send 60):
   the authenticator enforces the 15 minutes itself; the signature is then checked as of the
   signing time.

Parsing is pure; the server verifies the resulting request with the same SigV4 verifier as every
other AWS call (protocol/sigv4.py).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from eksiam.protocol import HttpRequest

PREFIX = "k8s-aws-v1."
LIFETIME = timedelta(minutes=15)
_ALLOWED_KEYS = {
    "action",
    "version",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-signedheaders",
}


class InvalidToken(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class PresignedCall:
    request: HttpRequest
    signed_at: datetime


def parse_token(token: str, cluster_name: str, now: datetime) -> PresignedCall:
    """The GetCallerIdentity request a token stands for; InvalidToken says why it is refused."""
    if not token.startswith(PREFIX):
        raise InvalidToken("token is not a k8s-aws-v1 token")
    encoded = token[len(PREFIX) :]
    try:
        url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidToken("token is not base64url") from None
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidToken(f"unexpected scheme or host in {parts.scheme}://{parts.netloc}")
    if parts.path not in ("/", ""):
        raise InvalidToken("unexpected path in pre-signed URL")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params = {k.lower(): v for k, v in pairs}
    if set(params) - _ALLOWED_KEYS:
        raise InvalidToken("pre-signed URL has unexpected query keys")
    if params.get("action") != "GetCallerIdentity" or params.get("version") != "2011-06-15":
        raise InvalidToken("pre-signed URL is not for sts:GetCallerIdentity")
    signed = params.get("x-amz-signedheaders", "").split(";")
    if "x-k8s-aws-id" not in signed:
        raise InvalidToken("client did not sign the x-k8s-aws-id header in the pre-signed URL")
    try:
        signed_at = datetime.strptime(params.get("x-amz-date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidToken("X-Amz-Date is missing or malformed") from None
    if now > signed_at + LIFETIME or signed_at > now + timedelta(minutes=5):
        raise InvalidToken("token is expired")
    request = HttpRequest(
        method="GET",
        path=parts.path or "/",
        query=parts.query.encode(),
        headers=[("host", parts.netloc), ("x-k8s-aws-id", cluster_name)],
        body=b"",
        client_ip="",
    )
    return PresignedCall(request, signed_at)
