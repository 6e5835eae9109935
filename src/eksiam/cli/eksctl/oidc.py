"""``utils associate-iam-oidc-provider`` (eksctl ``pkg/ctl/utils/associate_iam_oidc_provider.go``,
``pkg/iam/oidc/api.go``; irsa-and-eksctl.md 2.1).

The issuer comes from DescribeCluster; the provider is created with client id ``sts.amazonaws.com``,
the issuer URL with ``:443`` added to the host (as eksctl sends it), eksctl's tags, and a thumbprint.

Thumbprint: eksctl takes the SHA-1 of the DER of the last certificate in the chain the issuer presents
over TLS. An eksiam issuer's host (``oidc.eks.<region>.amazonaws.com``) is not reachable: its
documents are served on eksiam's own port. eksiam fingerprints the certificate that anchors the
cluster's TLS, the cluster CA from DescribeCluster (``certificateAuthority.data``), which is the last
certificate of the chain eksiam presents for that cluster: a stable, verifiable value of the right
form (40 lower-case hex characters). STS in eksiam verifies tokens with the issuer's JWKS, as AWS
does for well-known issuers, so the thumbprint only has to be well-formed.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from eksiam.cli.eksctl.output import CommandError, info, success
from eksiam.cli.eksctl.target import Target, aws_message
from eksiam.cli.eksctl.templates import (
    AUDIENCE,
    CLUSTER_NAME_TAG,
    OIDC_ENABLED_TAG,
    VERSION,
    VERSION_TAG,
    issuer_host_path,
)

NO_CHANGES = "no changes were applied, run again with '--approve' to apply the changes"


@dataclass(frozen=True, slots=True)
class ProviderState:
    cluster: str
    cluster_arn: str
    issuer: str
    provider_arn: str
    exists: bool
    ca_data: str


def thumbprint(ca_data: str) -> str:
    pem = base64.b64decode(ca_data)
    certificate = x509.load_pem_x509_certificates(pem)[-1]
    return hashlib.sha1(certificate.public_bytes(Encoding.DER), usedforsecurity=False).hexdigest()


def url_with_port(issuer: str) -> str:
    parts = urlsplit(issuer)
    if parts.scheme != "https":
        raise CommandError(
            f'unsupported URL scheme "{parts.scheme}"', "the cluster's OIDC issuer must be https"
        )
    host = parts.netloc if parts.port else f"{parts.netloc}:443"
    return f"https://{host}{parts.path}"


def provider_state(where: Target, cluster_name: str) -> ProviderState:
    cluster = where.cluster(cluster_name)
    issuer = ((cluster.get("identity") or {}).get("oidc") or {}).get("issuer") or ""
    if not issuer:
        raise CommandError("unknown OIDC issuer URL", f'cluster "{cluster_name}" has no OIDC issuer')
    arn = f"arn:{where.partition}:iam::{where.account}:oidc-provider/{issuer_host_path(issuer)}"
    try:
        where.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        exists = True
    except ClientError as err:
        if err.response["Error"]["Code"] != "NoSuchEntity":
            raise CommandError(f"checking the IAM OIDC provider: {aws_message(err)}") from None
        exists = False
    ca = (cluster.get("certificateAuthority") or {}).get("data") or ""
    return ProviderState(cluster_name, cluster["arn"], issuer, arn, exists, ca)


def associate(where: Target, cluster_name: str, approve: bool) -> ProviderState:
    state = provider_state(where, cluster_name)
    if state.exists:
        info(
            "IAM Open ID Connect provider is already associated with cluster "
            f'"{cluster_name}" in "{where.region}"'
        )
        return state
    info(f'will create IAM Open ID Connect provider for cluster "{cluster_name}" in "{where.region}"')
    if not approve:
        info(NO_CHANGES)
        return state
    try:
        where.iam.create_open_id_connect_provider(
            Url=url_with_port(state.issuer),
            ClientIDList=[AUDIENCE],
            ThumbprintList=[thumbprint(state.ca_data)],
            Tags=[{"Key": CLUSTER_NAME_TAG, "Value": cluster_name}, {"Key": VERSION_TAG, "Value": VERSION}],
        )
    except ClientError as err:
        raise CommandError(f"creating the IAM OIDC provider: {aws_message(err)}") from None
    try:
        where.eks.tag_resource(resourceArn=state.cluster_arn, tags={OIDC_ENABLED_TAG: "true"})
    except ClientError as err:
        if err.response["Error"]["Code"] != "NotImplemented":
            raise CommandError(f"tagging cluster {cluster_name}: {aws_message(err)}") from None
    success(f'created IAM Open ID Connect provider for cluster "{cluster_name}" in "{where.region}"')
    return ProviderState(
        state.cluster, state.cluster_arn, state.issuer, state.provider_arn, True, state.ca_data
    )
