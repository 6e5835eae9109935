"""AWS managed policies: shipped with their history, visible through IAM, never changeable.

Expectations come from the MAMIP records in shared/data (ARNs, paths, ids, default versions),
iam-rules.md 6.1 and 8, and AWS's AccessDenied texts for changing another account's policy.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from tests.services.iam.conftest import ACCOUNT, NOW

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.errors import ServiceError
from eksiam.services import CallContext, IamService
from eksiam.services.iam import managed_policies
from eksiam.services.iam.managed_policies import AwsManagedPolicies
from eksiam.storage import Store

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
CLUSTER = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
EBS_CSI = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
EKS_SLR_POLICY = "arn:aws:iam::aws:policy/aws-service-role/AmazonEKSServiceRolePolicy"


@pytest.fixture
def iam(store: Store) -> IamService:
    return IamService(store, ManualClock(NOW), Settings(account_id=ACCOUNT), catalog=AwsManagedPolicies())


def test_catalogue_ships_every_data_file_with_real_paths() -> None:
    policies = {p.name: p for p in managed_policies.all_policies()}
    assert len(policies) == 30
    assert policies["AmazonEBSCSIDriverPolicy"].arn == EBS_CSI
    assert policies["AmazonEBSCSIDriverPolicy"].path == "/service-role/"
    assert policies["AmazonEKSServiceRolePolicy"].arn == EKS_SLR_POLICY
    assert policies["AdministratorAccess"].policy_id == "ANPAIWMBCKSKIEE64ZLYK"
    assert list(policies) == sorted(policies, key=str.lower)


def test_lookup_finds_by_arn_in_any_partition_and_only_account_aws() -> None:
    assert managed_policies.lookup(CLUSTER) is not None
    assert managed_policies.lookup("arn:aws-cn:iam::aws:policy/AmazonEKSClusterPolicy") is not None
    assert managed_policies.lookup("arn:aws:iam::123456789012:policy/AmazonEKSClusterPolicy") is None
    assert managed_policies.lookup("arn:aws:iam::aws:policy/service-role/AmazonEKSClusterPolicy") is None
    assert managed_policies.lookup("not an arn") is None


def test_version_history_keeps_older_documents() -> None:
    cluster = managed_policies.lookup(CLUSTER)
    assert cluster is not None
    ids = [v.version_id for v in cluster.versions]
    assert cluster.default_version_id == "v10" and "v10" in ids and "v2" in ids
    assert ids == sorted(ids, key=lambda v: int(v[1:]))
    # v2 (2018) predates ec2:DescribeInstanceTopology, which the current version grants.
    old = cluster.version("v2")
    assert old is not None and "ec2:DescribeInstanceTopology" not in old.document
    assert "ec2:DescribeInstanceTopology" in cluster.default_document


def test_service_role_policies_are_reserved_for_service_linked_roles() -> None:
    reserved = {p.name for p in managed_policies.all_policies() if p.reserved_for_service_linked_role}
    assert reserved == {
        "AmazonEKSServiceRolePolicy",
        "AmazonEKSForFargateServiceRolePolicy",
        "AWSServiceRoleForAmazonEKSNodegroup",
        "AmazonEKSConnectorServiceRolePolicy",
        "AmazonEKSLocalOutpostServiceRolePolicy",
        "AutoScalingServiceRolePolicy",
        "AWSElasticLoadBalancingServiceRolePolicy",
    }
    assert all(not p.attachable_to_identities for p in managed_policies.all_policies() if p.name in reserved)


def test_get_policy_answers_the_aws_managed_policy(iam: IamService, ctx: CallContext) -> None:
    policy = iam.get_policy(ctx, policy_arn=CLUSTER)["Policy"]
    assert policy["PolicyName"] == "AmazonEKSClusterPolicy"
    assert policy["Arn"] == CLUSTER and policy["Path"] == "/"
    assert policy["PolicyId"] == "ANPAIBTLDQMIC6UOIGFWA"
    assert policy["DefaultVersionId"] == "v10"
    assert policy["AttachmentCount"] == 0 and policy["IsAttachable"] is True


def test_get_policy_version_returns_an_old_document(iam: IamService, ctx: CallContext) -> None:
    version = iam.get_policy_version(ctx, policy_arn=CLUSTER, version_id="v2")["PolicyVersion"]
    assert version["IsDefaultVersion"] is False
    document = json.loads(unquote(version["Document"]))
    assert document["Version"] == "2012-10-17"
    versions = iam.list_policy_versions(ctx, policy_arn=CLUSTER)["Versions"]
    assert len(versions) > 5  # AWS managed policies are exempt from the five-version quota
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v10"]


def test_list_policies_scope_aws_lists_the_catalogue(iam: IamService, ctx: CallContext) -> None:
    names: list[str] = []
    marker = None
    while True:
        page = iam.list_policies(ctx, scope="AWS", max_items=7, marker=marker)
        names += [p["PolicyName"] for p in page["Policies"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert len(names) == 30 and len(set(names)) == 30 and "AdministratorAccess" in names
    local = iam.list_policies(ctx, scope="Local")["Policies"]
    assert local == []


def test_attach_counts_attachments_per_account(iam: IamService, ctx: CallContext) -> None:
    iam.create_role(ctx, role_name="cluster", assume_role_policy_document=_eks_trust())
    iam.attach_role_policy(ctx, role_name="cluster", policy_arn=CLUSTER)
    assert iam.get_policy(ctx, policy_arn=CLUSTER)["Policy"]["AttachmentCount"] == 1
    attached = iam.list_attached_role_policies(ctx, role_name="cluster")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AmazonEKSClusterPolicy", "PolicyArn": CLUSTER}]


def test_service_role_policy_cannot_be_attached_to_a_customer_role(iam: IamService, ctx: CallContext) -> None:
    iam.create_role(ctx, role_name="cluster", assume_role_policy_document=_eks_trust())
    with pytest.raises(ServiceError) as caught:
        iam.attach_role_policy(ctx, role_name="cluster", policy_arn=EKS_SLR_POLICY)
    assert caught.value.code == "PolicyNotAttachable"
    assert caught.value.message == "Cannot attach a Service Role Policy to a Customer Role."
    with pytest.raises(ServiceError) as boundary:
        iam.put_role_permissions_boundary(ctx, role_name="cluster", permissions_boundary=EKS_SLR_POLICY)
    assert boundary.value.code == "PolicyNotAttachable"


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ("DeletePolicy", "Cannot delete policies outside your own account."),
        ("CreatePolicyVersion", "Cannot create versions for policies outside your own account."),
        ("SetDefaultPolicyVersion", "Cannot update policies outside your own account."),
        ("DeletePolicyVersion", "Cannot delete policy versions for policies outside your own account."),
    ],
)
def test_refusal_is_access_denied_for_aws_managed_policies(operation: str, message: str) -> None:
    error = managed_policies.refusal(operation, ADMIN)
    assert error is not None
    assert (error.code, error.status, error.message) == ("AccessDenied", 403, message)
    assert managed_policies.refusal(operation, "arn:aws:iam::123456789012:policy/mine") is None


def test_aws_managed_policy_cannot_be_deleted(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(ServiceError) as caught:
        iam.delete_policy(ctx, policy_arn=ADMIN)
    assert (caught.value.code, caught.value.status) == ("AccessDenied", 403)
    assert caught.value.message == "Cannot delete policies outside your own account."


def test_aws_managed_policy_stays_unchanged_after_refused_changes(iam: IamService, ctx: CallContext) -> None:
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    )
    for attempt in (
        lambda: iam.delete_policy(ctx, policy_arn=ADMIN),
        lambda: iam.create_policy_version(
            ctx, policy_arn=ADMIN, policy_document=document, set_as_default=True
        ),
        lambda: iam.set_default_policy_version(ctx, policy_arn=CLUSTER, version_id="v2"),
        lambda: iam.delete_policy_version(ctx, policy_arn=CLUSTER, version_id="v2"),
    ):
        with pytest.raises(ServiceError):
            attempt()
    assert iam.get_policy(ctx, policy_arn=CLUSTER)["Policy"]["DefaultVersionId"] == "v10"
    admin = iam.get_policy_version(ctx, policy_arn=ADMIN, version_id="v1")["PolicyVersion"]
    assert '"Allow"' in unquote(admin["Document"])
    assert len(iam.list_policy_versions(ctx, policy_arn=ADMIN)["Versions"]) == 1


def _eks_trust() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
