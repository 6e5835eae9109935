"""Which service, then which operation, a raw request is for.

Service, in order (one port serves IAM, STS, EKS and EKS Auth, as AWS's separate hosts do):

1. The SigV4 credential scope (``Credential=AKID/date/region/<service>/aws4_request`` in the
   Authorization header, or ``X-Amz-Credential`` in a presigned query) names the signing service.
   A scope naming a service we do not serve is ignored here; the SigV4 check then rejects it because
   the routed signing name differs.
2. Unsigned requests to ``/`` are Query: ``Version`` picks IAM (2010-05-08) or STS (2011-06-15).
3. Otherwise the REST-JSON templates of EKS and EKS Auth, most literal text first, so
   ``POST /clusters/{clusterName}/assume-role-for-pod-identity`` is EKS Auth.
4. A request no template matches is Query if it carries an ``Action`` (botocore posts to ``/``; other
   clients may append a path), else a REST-JSON ``UnknownOperationException``.

The operation then comes from ``Action`` (Query) or the matched template (REST-JSON).

Non-AWS paths (``/_eksiam/*``, OIDC discovery, the Kubernetes API, the webhook) are the server's:
it should route its own prefixes first and may ask ``AwsEndpoint.is_aws_request`` about the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eksiam.protocol.codecs import Codec, QueryCodec, QueryFront, RestJsonCodec
from eksiam.protocol.errors import MalformedQueryString
from eksiam.protocol.http import HttpRequest
from eksiam.protocol.urlencoded import decode_component


@dataclass(slots=True)
class RoutedOperation:
    """What ``authenticate`` learns about a parsed request before any service code runs.

    ``service`` is the botocore name ("iam", "sts", "eks", "eks-auth"); ``signing_name`` what a
    valid credential scope must name; ``unsigned`` is True when the model lets callers omit SigV4
    (sts:AssumeRoleWithWebIdentity, sts:AssumeRoleWithSAML); ``request_id`` is the id every
    response of this request carries (use it for the CallContext).
    """

    service: str
    signing_name: str
    operation: str
    unsigned: bool
    request_id: str
    protocol: str


def scope_service(request: HttpRequest) -> str | None:
    """The service named by the request's SigV4 credential scope, if it carries one."""
    auth = request.header("authorization")
    credential: str | None = None
    if auth:
        start = auth.find("Credential=")
        if start < 0:
            return None
        credential = auth[start + 11 :].split(",", 1)[0].strip()
    else:
        query = request.query_bytes
        start = query.find(b"X-Amz-Credential=")
        if start < 0:
            return None
        raw = query[start + 17 :].split(b"&", 1)[0]
        try:
            credential = decode_component(raw)
        except MalformedQueryString:
            return None
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else None


class Router:
    def __init__(self, codecs: Mapping[str, QueryCodec | RestJsonCodec]) -> None:
        self._by_signing: dict[str, Codec] = {c.info.signing_name: c for c in codecs.values()}
        query = {name: c for name, c in codecs.items() if isinstance(c, QueryCodec)}
        self._front = QueryFront(query)
        self._rest = [c for c in codecs.values() if isinstance(c, RestJsonCodec)]

    def codec_for(self, request: HttpRequest) -> Codec:
        """The codec that parses this request, and answers its errors until an operation is known."""
        named = scope_service(request)
        if named is not None:
            codec = self._by_signing.get(named)
            if codec is not None:
                return codec
        return self._guess(request)

    def _guess(self, request: HttpRequest) -> Codec:
        path = request.path
        if path in ("", "/"):
            return self._front
        best: tuple[tuple[int, int], RestJsonCodec] | None = None
        for codec in self._rest:
            found = codec.match(request)
            if found is not None and (best is None or found[0].weight > best[0]):
                best = (found[0].weight, codec)
        if best is not None:
            return best[1]
        if request.query_bytes.find(b"Action=") >= 0 or request.body.find(b"Action=") >= 0 or not self._rest:
            return self._front
        return self._rest[0]

    def is_aws_request(self, request: HttpRequest) -> bool:
        if request.path in ("", "/") or scope_service(request) is not None:
            return True
        return any(codec.match(request) is not None for codec in self._rest)
