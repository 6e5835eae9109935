"""eksctl's ``wellKnownPolicies`` and node-group ``withAddonPolicies`` as data (irsa-and-eksctl.md 2.6;
eksctl ``pkg/cfn/builder/{iam_helper,statement}.go``).

Each entry is the managed policy ARNs (``{p}`` is the partition) and the inline policy resources,
named as eksctl names them (``PolicyAutoScaling``...), each a list of ``Effect: Allow`` statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_ELB = "elasticloadbalancing"
_CLUSTER_TAG = "elbv2.k8s.aws/cluster"
_TG_LB = [
    "arn:{p}:elasticloadbalancing:*:*:targetgroup/*/*",
    "arn:{p}:elasticloadbalancing:*:*:loadbalancer/net/*/*",
    "arn:{p}:elasticloadbalancing:*:*:loadbalancer/app/*/*",
]


def _s(actions: list[str], resource: Any = "*", condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _null(**keys: str) -> dict[str, Any]:
    return {"Null": {f"aws:{k}/{_CLUSTER_TAG}": v for k, v in keys.items()}}


def _elb(*names: str) -> list[str]:
    return [f"{_ELB}:{name}" for name in names]


@dataclass(frozen=True, slots=True)
class WellKnown:
    managed: tuple[str, ...] = ()
    inline: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


_AUTOSCALER = WellKnown(
    inline={
        "PolicyAutoScaling": [
            _s(
                [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                ]
            ),
            _s(
                [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                    "ec2:DescribeImages",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ]
            ),
        ]
    }
)
_HOSTED_ZONES = "arn:{p}:route53:::hostedzone/*"
_EXTERNAL_DNS = WellKnown(
    inline={
        "PolicyExternalDNSChangeSet": [_s(["route53:ChangeResourceRecordSets"], _HOSTED_ZONES)],
        "PolicyExternalDNSHostedZones": [
            _s(["route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResource"])
        ],
    }
)
_CERT_MANAGER = WellKnown(
    inline={
        "PolicyCertManagerChangeSet": [_s(["route53:ChangeResourceRecordSets"], _HOSTED_ZONES)],
        "PolicyCertManagerGetChange": [_s(["route53:GetChange"], "arn:{p}:route53:::change/*")],
        "PolicyCertManagerHostedZones": [
            _s(["route53:ListResourceRecordSets", "route53:ListHostedZonesByName"])
        ],
    }
)
_EFS_TAG = "efs.csi.aws.com/cluster"
_EFS = WellKnown(
    inline={
        "PolicyEFSCSIController": [
            _s(["elasticfilesystem:DescribeAccessPoints", "elasticfilesystem:DescribeFileSystems"]),
            _s(
                ["elasticfilesystem:CreateAccessPoint"],
                "*",
                {"StringLike": {f"aws:RequestTag/{_EFS_TAG}": "true"}},
            ),
            _s(
                ["elasticfilesystem:TagResource"], "*", {"StringLike": {f"aws:RequestTag/{_EFS_TAG}": "true"}}
            ),
            _s(
                ["elasticfilesystem:DeleteAccessPoint"],
                "*",
                {"StringLike": {f"aws:ResourceTag/{_EFS_TAG}": "true"}},
            ),
        ]
    }
)
_SECURITY_GROUPS = "arn:{p}:ec2:*:*:security-group/*"
_LOAD_BALANCER_CONTROLLER = WellKnown(
    inline={
        "PolicyAWSLoadBalancerController": [
            _s(
                ["iam:CreateServiceLinkedRole"],
                "*",
                {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
            ),
            _s(
                [
                    "ec2:DescribeAccountAttributes",
                    "ec2:DescribeAddresses",
                    "ec2:DescribeAvailabilityZones",
                    "ec2:DescribeInternetGateways",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeVpcPeeringConnections",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeInstances",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeTags",
                    "ec2:GetCoipPoolUsage",
                    "ec2:DescribeCoipPools",
                    "ec2:GetSecurityGroupsForVpc",
                    "ec2:DescribeIpamPools",
                    "ec2:DescribeRouteTables",
                    *_elb(
                        "DescribeLoadBalancers",
                        "DescribeLoadBalancerAttributes",
                        "DescribeListeners",
                        "DescribeListenerCertificates",
                        "DescribeSSLPolicies",
                        "DescribeRules",
                        "DescribeTargetGroups",
                        "DescribeTargetGroupAttributes",
                        "DescribeTargetHealth",
                        "DescribeTags",
                        "DescribeTrustStores",
                        "DescribeListenerAttributes",
                        "DescribeCapacityReservation",
                    ),
                ]
            ),
            _s(
                [
                    "cognito-idp:DescribeUserPoolClient",
                    "acm:ListCertificates",
                    "acm:DescribeCertificate",
                    "iam:ListServerCertificates",
                    "iam:GetServerCertificate",
                    "waf-regional:GetWebACL",
                    "waf-regional:GetWebACLForResource",
                    "waf-regional:AssociateWebACL",
                    "waf-regional:DisassociateWebACL",
                    "wafv2:GetWebACL",
                    "wafv2:GetWebACLForResource",
                    "wafv2:AssociateWebACL",
                    "wafv2:DisassociateWebACL",
                    "shield:GetSubscriptionState",
                    "shield:DescribeProtection",
                    "shield:CreateProtection",
                    "shield:DeleteProtection",
                ]
            ),
            _s(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]),
            _s(["ec2:CreateSecurityGroup"]),
            _s(
                ["ec2:CreateTags"],
                _SECURITY_GROUPS,
                {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **_null(RequestTag="false")},
            ),
            _s(
                ["ec2:CreateTags", "ec2:DeleteTags"],
                _SECURITY_GROUPS,
                _null(RequestTag="true", ResourceTag="false"),
            ),
            _s(
                [
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupIngress",
                    "ec2:DeleteSecurityGroup",
                ],
                "*",
                _null(ResourceTag="false"),
            ),
            _s(_elb("CreateLoadBalancer", "CreateTargetGroup"), "*", _null(RequestTag="false")),
            _s(_elb("CreateListener", "DeleteListener", "CreateRule", "DeleteRule")),
            _s(_elb("AddTags", "RemoveTags"), _TG_LB, _null(RequestTag="true", ResourceTag="false")),
            _s(
                _elb("AddTags", "RemoveTags"),
                [
                    "arn:{p}:elasticloadbalancing:*:*:listener/net/*/*/*",
                    "arn:{p}:elasticloadbalancing:*:*:listener/app/*/*/*",
                    "arn:{p}:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
                    "arn:{p}:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
                ],
            ),
            _s(
                _elb(
                    "ModifyLoadBalancerAttributes",
                    "SetIpAddressType",
                    "SetSecurityGroups",
                    "SetSubnets",
                    "DeleteLoadBalancer",
                    "ModifyTargetGroup",
                    "ModifyTargetGroupAttributes",
                    "DeleteTargetGroup",
                    "ModifyListenerAttributes",
                    "ModifyCapacityReservation",
                    "ModifyIpPools",
                ),
                "*",
                _null(ResourceTag="false"),
            ),
            _s(
                _elb("AddTags"),
                _TG_LB,
                {
                    "StringEquals": {f"{_ELB}:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                    **_null(RequestTag="false"),
                },
            ),
            _s(
                _elb("RegisterTargets", "DeregisterTargets"),
                "arn:{p}:elasticloadbalancing:*:*:targetgroup/*/*",
            ),
            _s(
                _elb(
                    "SetWebAcl",
                    "ModifyListener",
                    "AddListenerCertificates",
                    "RemoveListenerCertificates",
                    "ModifyRule",
                    "SetRulePriorities",
                )
            ),
        ]
    }
)

WELL_KNOWN_POLICIES: dict[str, WellKnown] = {
    "imageBuilder": WellKnown(managed=("arn:{p}:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser",)),
    "autoScaler": _AUTOSCALER,
    "awsLoadBalancerController": _LOAD_BALANCER_CONTROLLER,
    "externalDNS": _EXTERNAL_DNS,
    "certManager": _CERT_MANAGER,
    "ebsCSIController": WellKnown(managed=("arn:{p}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",)),
    "efsCSIController": _EFS,
}

_APP_MESH_COMMON = [
    _s(
        [
            "servicediscovery:CreateService",
            "servicediscovery:DeleteService",
            "servicediscovery:GetService",
            "servicediscovery:GetInstance",
            "servicediscovery:RegisterInstance",
            "servicediscovery:DeregisterInstance",
            "servicediscovery:ListInstances",
            "servicediscovery:ListNamespaces",
            "servicediscovery:ListServices",
            "servicediscovery:GetInstancesHealthStatus",
            "servicediscovery:UpdateInstanceCustomHealthStatus",
            "servicediscovery:GetOperation",
            "route53:GetHealthCheck",
            "route53:CreateHealthCheck",
            "route53:UpdateHealthCheck",
            "route53:ChangeResourceRecordSets",
            "route53:DeleteHealthCheck",
        ]
    ),
]
NODE_ADDON_POLICIES: dict[str, WellKnown] = {
    "imageBuilder": WELL_KNOWN_POLICIES["imageBuilder"],
    "autoScaler": _AUTOSCALER,
    "externalDNS": _EXTERNAL_DNS,
    "certManager": _CERT_MANAGER,
    "awsLoadBalancerController": _LOAD_BALANCER_CONTROLLER,
    "albIngress": _LOAD_BALANCER_CONTROLLER,
    "appMesh": WellKnown(inline={"PolicyAppMesh": [*_APP_MESH_COMMON, _s(["appmesh:*"])]}),
    "appMeshPreview": WellKnown(
        inline={"PolicyAppMeshPreview": [*_APP_MESH_COMMON, _s(["appmesh-preview:*"])]}
    ),
    "ebs": WELL_KNOWN_POLICIES["ebsCSIController"],
    "fsx": WellKnown(
        inline={
            "PolicyFSX": [
                _s(["fsx:*"]),
                _s(
                    ["iam:CreateServiceLinkedRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"],
                    "arn:{p}:iam::*:role/aws-service-role/*",
                ),
            ]
        }
    ),
    "efs": WellKnown(
        inline={
            "PolicyEFS": [
                _s(["elasticfilesystem:*"]),
                _s(
                    [
                        "ec2:DescribeSubnets",
                        "ec2:CreateNetworkInterface",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DeleteNetworkInterface",
                        "ec2:ModifyNetworkInterfaceAttribute",
                        "ec2:DescribeNetworkInterfaceAttribute",
                    ]
                ),
            ]
        }
    ),
    "xRay": WellKnown(
        inline={
            "PolicyXRay": [
                _s(
                    [
                        "xray:PutTraceSegments",
                        "xray:PutTelemetryRecords",
                        "xray:GetSamplingRules",
                        "xray:GetSamplingTargets",
                        "xray:GetSamplingStatisticSummaries",
                    ]
                )
            ]
        }
    ),
    "cloudWatch": WellKnown(managed=("arn:{p}:iam::aws:policy/CloudWatchAgentServerPolicy",)),
}


def _fill(value: Any, partition: str) -> Any:
    if isinstance(value, str):
        return value.replace("{p}", partition)
    if isinstance(value, list):
        return [_fill(v, partition) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, partition) for k, v in value.items()}
    return value


def resolve(
    names: tuple[str, ...], table: dict[str, WellKnown], partition: str
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Managed ARNs and inline policy documents (by eksctl's resource name) for the enabled names."""
    managed: list[str] = []
    inline: dict[str, dict[str, Any]] = {}
    for name in names:
        entry = table.get(name)
        if entry is None:
            raise ValueError(f"invalid wellKnownPolicy: {name}")
        managed += [_fill(arn, partition) for arn in entry.managed if _fill(arn, partition) not in managed]
        for policy, statements in entry.inline.items():
            inline[policy] = {"Version": "2012-10-17", "Statement": _fill(statements, partition)}
    return managed, inline
