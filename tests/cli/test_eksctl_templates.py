"""eksctl's stack names, tags, trust policies and default node policies, from irsa-and-eksctl.md 2.1,
2.2, 2.6 and 2.7 (eksctl ``pkg/cfn/builder``, ``pkg/iam/oidc/api.go``)."""

from __future__ import annotations

import base64
import datetime
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from eksiam.cli.eksctl.cluster_config import NodeGroup, ServiceAccount
from eksiam.cli.eksctl.oidc import thumbprint, url_with_port
from eksiam.cli.eksctl.output import CommandError
from eksiam.cli.eksctl.templates import irsa_stack, node_role_policies, nodegroup_stack, pod_identity_stack
from eksiam.cli.eksctl.well_known import WELL_KNOWN_POLICIES, resolve

ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
HOST_PATH = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
MANAGED = "arn:aws:iam::aws:policy/"


def test_irsa_stack_matches_eksctl() -> None:
    account = ServiceAccount(
        name="s3-reader",
        namespace="backend-apps",
        attach_policy_arns=(f"{MANAGED}AmazonS3ReadOnlyAccess",),
        well_known_policies=("imageBuilder", "autoScaler"),
        tags={"Owner": "John Doe"},
    )
    spec = irsa_stack("cluster-13", account, "aws", "111122223333", ISSUER, {"env": "dev"})
    assert spec.name == "eksctl-cluster-13-addon-iamserviceaccount-backend-apps-s3-reader"
    assert spec.capabilities == ("CAPABILITY_IAM",)
    assert spec.tags["alpha.eksctl.io/iamserviceaccount-name"] == "backend-apps/s3-reader"
    assert spec.tags["alpha.eksctl.io/cluster-name"] == "cluster-13"
    assert spec.tags["eksctl.cluster.k8s.io/v1alpha1/cluster-name"] == "cluster-13"
    assert spec.tags["Owner"] == "John Doe" and spec.tags["env"] == "dev"
    template = spec.template
    assert template["Description"] == (
        'IAM role for serviceaccount "backend-apps/s3-reader" [created and managed by eksctl]'
    )
    role = template["Resources"]["Role1"]["Properties"]
    assert role["ManagedPolicyArns"] == [
        f"{MANAGED}AmazonS3ReadOnlyAccess",
        f"{MANAGED}AmazonEC2ContainerRegistryPowerUser",
    ]
    assert "RoleName" not in role
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRoleWithWebIdentity"],
                "Principal": {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{HOST_PATH}"},
                "Condition": {
                    "StringEquals": {
                        f"{HOST_PATH}:sub": "system:serviceaccount:backend-apps:s3-reader",
                        f"{HOST_PATH}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }
    policy = template["Resources"]["PolicyAutoScaling"]
    assert policy["Type"] == "AWS::IAM::Policy"
    assert policy["Properties"]["PolicyName"] == f"{spec.name}-PolicyAutoScaling"
    assert policy["Properties"]["Roles"] == [{"Ref": "Role1"}]
    assert template["Outputs"]["Role1"]["Value"] == {"Fn::GetAtt": ["Role1", "Arn"]}


def test_named_role_needs_named_iam_capability() -> None:
    account = ServiceAccount(name="a", role_name="fixed", attach_policy_arns=("p",), permissions_boundary="b")
    spec = irsa_stack("c", account, "aws", "1", ISSUER, {})
    assert spec.capabilities == ("CAPABILITY_NAMED_IAM",)
    assert spec.template["Resources"]["Role1"]["Properties"]["RoleName"] == "fixed"
    assert spec.template["Resources"]["Role1"]["Properties"]["PermissionsBoundary"] == "b"


def test_pod_identity_role_trusts_pods_eks_for_assume_and_tag_session() -> None:
    from eksiam.cli.eksctl.cluster_config import PodIdentityAssociation

    spec = pod_identity_stack(
        "c", PodIdentityAssociation("ns", "sa", permission_policy_arns=("p",)), "aws", {}
    )
    assert spec.name == "eksctl-c-podidentityrole-ns-sa"
    assert spec.tags["alpha.eksctl.io/podidentityassociation-name"] == "ns/sa"
    statement = spec.template["Resources"]["Role1"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": ["pods.eks.amazonaws.com"]}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]


@pytest.mark.parametrize(
    ("managed", "with_oidc", "addons", "expected"),
    [
        (
            True,
            False,
            (),
            [
                "AmazonEKSWorkerNodePolicy",
                "AmazonEKS_CNI_Policy",
                "AmazonEC2ContainerRegistryReadOnly",
                "AmazonSSMManagedInstanceCore",
            ],
        ),
        (
            True,
            True,
            (),
            [
                "AmazonEKSWorkerNodePolicy",
                "AmazonEC2ContainerRegistryReadOnly",
                "AmazonSSMManagedInstanceCore",
            ],
        ),
        (
            False,
            False,
            ("imageBuilder",),
            [
                "AmazonEKSWorkerNodePolicy",
                "AmazonEKS_CNI_Policy",
                "AmazonSSMManagedInstanceCore",
                "AmazonEC2ContainerRegistryPowerUser",
            ],
        ),
    ],
)
def test_node_role_default_policies(
    managed: bool, with_oidc: bool, addons: tuple[str, ...], expected: list[str]
) -> None:
    group = NodeGroup(name="ng", managed=managed, addon_policies=addons)
    assert node_role_policies(group, "aws", with_oidc) == [MANAGED + name for name in expected]


def test_attach_policy_arns_replace_the_node_defaults_and_unmanaged_groups_get_a_profile() -> None:
    group = NodeGroup(name="ng-1", managed=False, attach_policy_arns=("arn:aws:iam::1:policy/mine",))
    spec = nodegroup_stack("c", group, "aws", False, {})
    role = spec.template["Resources"]["NodeInstanceRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::1:policy/mine"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": ["ec2.amazonaws.com"]}
    assert spec.template["Resources"]["NodeInstanceProfile"]["Type"] == "AWS::IAM::InstanceProfile"
    assert spec.tags["alpha.eksctl.io/nodegroup-name"] == "ng-1" and spec.name == "eksctl-c-nodegroup-ng-1"


def test_well_known_policies_use_the_partition_and_reject_unknown_names() -> None:
    managed, inline = resolve(("certManager", "ebsCSIController"), WELL_KNOWN_POLICIES, "aws-cn")
    assert managed == ["arn:aws-cn:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    assert sorted(inline) == [
        "PolicyCertManagerChangeSet",
        "PolicyCertManagerGetChange",
        "PolicyCertManagerHostedZones",
    ]
    assert inline["PolicyCertManagerGetChange"]["Statement"][0]["Resource"] == "arn:aws-cn:route53:::change/*"
    _, alb = resolve(("awsLoadBalancerController",), WELL_KNOWN_POLICIES, "aws")
    assert len(alb["PolicyAWSLoadBalancerController"]["Statement"]) == 16
    with pytest.raises(ValueError, match="invalid wellKnownPolicy: dns"):
        resolve(("dns",), WELL_KNOWN_POLICIES, "aws")


def test_provider_url_gets_port_443_as_eksctl_sends_it() -> None:
    assert (
        url_with_port(ISSUER)
        == "https://oidc.eks.us-west-2.amazonaws.com:443/id/EXAMPLED539D4633E53DE1B716D3041E"
    )
    assert url_with_port("https://issuer.example:8443/x") == "https://issuer.example:8443/x"
    with pytest.raises(CommandError, match='unsupported URL scheme "http"'):
        url_with_port("http://issuer.example/x")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_thumbprint_is_the_sha1_of_the_certificate_der_as_openssl_reports_it() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha1"], input=pem, capture_output=True, check=True
    ).stdout.decode()
    expected = out.strip().split("=", 1)[1].replace(":", "").lower()
    assert thumbprint(base64.b64encode(pem).decode()) == expected
