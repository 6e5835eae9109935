"""Customer managed policies and versions (IAM API reference: CreatePolicy, CreatePolicyVersion,
DeletePolicy, ListPolicies ...; iam-rules.md 3, 5 and 8)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from eksiam.services import CallContext, IamService
from eksiam.services.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)

from .conftest import ACCOUNT, NOW, identity_policy


def test_create_policy_shape(iam: IamService, ctx: CallContext) -> None:
    policy = iam.create_policy(
        ctx, policy_name="read", path="/team/", policy_document=identity_policy(), description="d"
    )["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/team/read"
    assert policy["PolicyId"].startswith("ANPA")
    assert policy["DefaultVersionId"] == "v1"
    assert policy["AttachmentCount"] == 0 and policy["PermissionsBoundaryUsageCount"] == 0
    assert policy["IsAttachable"] is True
    assert policy["CreateDate"] == NOW == policy["UpdateDate"]


def test_policy_path_is_stricter_than_role_path(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(ValidationError):
        iam.create_policy(ctx, policy_name="p", path="/a*b/", policy_document=identity_policy())


def test_duplicate_policy_name(iam: IamService, ctx: CallContext, make_policy) -> None:
    make_policy("Read")
    with pytest.raises(EntityAlreadyExists) as err:
        make_policy("read")
    assert err.value.message == "A policy called read already exists. Duplicate names are not allowed."


def test_malformed_policy_is_rejected(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(MalformedPolicyDocument):
        iam.create_policy(ctx, policy_name="p", policy_document="{not json")
    missing_resource = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
    )
    with pytest.raises(MalformedPolicyDocument) as err:
        iam.create_policy(ctx, policy_name="p", policy_document=missing_resource)
    assert err.value.message == "Policy statement must contain resources."
    assert iam.list_policies(ctx, scope="Local")["Policies"] == []


def test_managed_policy_size_quota_6144(iam: IamService, ctx: CallContext) -> None:
    resources = [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(250)]
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": resources}]}
    )
    with pytest.raises(LimitExceeded) as err:
        iam.create_policy(ctx, policy_name="big", policy_document=document)
    assert err.value.message == "Cannot exceed quota for PolicySize: 6144"


def test_get_policy_unknown_arn(iam: IamService, ctx: CallContext) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/none"
    with pytest.raises(NoSuchEntity) as err:
        iam.get_policy(ctx, policy_arn=arn)
    assert err.value.message == f"Policy {arn} was not found."


def test_policy_arn_with_wrong_path_is_not_found(iam: IamService, ctx: CallContext, make_policy) -> None:
    make_policy("p", path="/a/")
    with pytest.raises(NoSuchEntity):
        iam.get_policy(ctx, policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/b/p")


def test_malformed_policy_arn_is_invalid_input(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(InvalidInput):
        iam.get_policy(ctx, policy_arn="arn:aws:s3:::bucket/whatever-long")


def test_versions_up_to_five(iam: IamService, ctx: CallContext, make_policy) -> None:
    arn = make_policy("p")["Arn"]
    for n in range(2, 6):
        version = iam.create_policy_version(
            ctx, policy_arn=arn, policy_document=identity_policy(f"s3:Get{n}")
        )
        assert version["PolicyVersion"]["VersionId"] == f"v{n}"
        assert version["PolicyVersion"]["IsDefaultVersion"] is False
    with pytest.raises(LimitExceeded) as err:
        iam.create_policy_version(ctx, policy_arn=arn, policy_document=identity_policy())
    assert err.value.message == (
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
        "existing version."
    )
    assert len(iam.list_policy_versions(ctx, policy_arn=arn)["Versions"]) == 5


def test_set_as_default_and_version_numbers_not_reused(
    iam: IamService, ctx: CallContext, make_policy
) -> None:
    arn = make_policy("p")["Arn"]
    iam.create_policy_version(
        ctx, policy_arn=arn, policy_document=identity_policy("s3:A"), set_as_default=True
    )
    assert iam.get_policy(ctx, policy_arn=arn)["Policy"]["DefaultVersionId"] == "v2"
    iam.delete_policy_version(ctx, policy_arn=arn, version_id="v1")
    created = iam.create_policy_version(ctx, policy_arn=arn, policy_document=identity_policy("s3:B"))
    assert created["PolicyVersion"]["VersionId"] == "v3"
    versions = iam.list_policy_versions(ctx, policy_arn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v3", "v2"]
    assert [v["IsDefaultVersion"] for v in versions] == [False, True]


def test_get_policy_version_document_is_url_encoded(iam: IamService, ctx: CallContext, make_policy) -> None:
    arn = make_policy("p", policy_document=identity_policy("s3:ListBucket"))["Arn"]
    version = iam.get_policy_version(ctx, policy_arn=arn, version_id="v1")["PolicyVersion"]
    assert version["IsDefaultVersion"] is True
    assert "%22" in version["Document"]
    assert json.loads(unquote(version["Document"]))["Statement"][0]["Action"] == "s3:ListBucket"
    with pytest.raises(NoSuchEntity):
        iam.get_policy_version(ctx, policy_arn=arn, version_id="v9")


def test_cannot_delete_default_version(iam: IamService, ctx: CallContext, make_policy) -> None:
    arn = make_policy("p")["Arn"]
    with pytest.raises(DeleteConflict) as err:
        iam.delete_policy_version(ctx, policy_arn=arn, version_id="v1")
    assert err.value.message == "Cannot delete the default version of a policy."


def test_set_default_to_missing_version(iam: IamService, ctx: CallContext, make_policy) -> None:
    arn = make_policy("p")["Arn"]
    with pytest.raises(NoSuchEntity):
        iam.set_default_policy_version(ctx, policy_arn=arn, version_id="v2")
    with pytest.raises(ValidationError):
        iam.set_default_policy_version(ctx, policy_arn=arn, version_id="2")


def test_delete_policy_with_versions_is_conflict(iam: IamService, ctx: CallContext, make_policy) -> None:
    arn = make_policy("p")["Arn"]
    iam.create_policy_version(ctx, policy_arn=arn, policy_document=identity_policy())
    with pytest.raises(DeleteConflict) as err:
        iam.delete_policy(ctx, policy_arn=arn)
    assert err.value.message.startswith("This policy has more than one version.")
    iam.delete_policy_version(ctx, policy_arn=arn, version_id="v2")
    iam.delete_policy(ctx, policy_arn=arn)
    with pytest.raises(NoSuchEntity):
        iam.get_policy(ctx, policy_arn=arn)


def test_delete_attached_policy_is_conflict(
    iam: IamService, ctx: CallContext, make_policy, make_role
) -> None:
    arn = make_policy("p")["Arn"]
    make_role("r")
    iam.attach_role_policy(ctx, role_name="r", policy_arn=arn)
    with pytest.raises(DeleteConflict) as err:
        iam.delete_policy(ctx, policy_arn=arn)
    assert err.value.message == "Cannot delete a policy attached to entities."


def test_delete_policy_used_as_boundary_is_conflict(
    iam: IamService, ctx: CallContext, make_policy, make_role
) -> None:
    arn = make_policy("p")["Arn"]
    make_role("r", permissions_boundary=arn)
    with pytest.raises(DeleteConflict):
        iam.delete_policy(ctx, policy_arn=arn)


def test_update_date_follows_newest_version(iam: IamService, ctx: CallContext, make_policy) -> None:
    from dataclasses import replace
    from datetime import timedelta

    arn = make_policy("p")["Arn"]
    later = replace(ctx, now=NOW + timedelta(hours=1))
    iam.create_policy_version(later, policy_arn=arn, policy_document=identity_policy())
    policy = iam.get_policy(ctx, policy_arn=arn)["Policy"]
    assert policy["CreateDate"] == NOW and policy["UpdateDate"] == NOW + timedelta(hours=1)


def test_list_policies_local_scope_filters(iam: IamService, ctx: CallContext, make_policy, make_role) -> None:
    attached = make_policy("attached", path="/x/")["Arn"]
    make_policy("idle", description="not listed")
    make_role("r")
    iam.attach_role_policy(ctx, role_name="r", policy_arn=attached)
    everything = iam.list_policies(ctx, scope="Local")["Policies"]
    assert sorted(p["PolicyName"] for p in everything) == ["attached", "idle"]
    assert all("Description" not in p and "Tags" not in p for p in everything)
    only = iam.list_policies(ctx, scope="Local", only_attached=True)["Policies"]
    assert [p["PolicyName"] for p in only] == ["attached"]
    assert [
        p["PolicyName"] for p in iam.list_policies(ctx, scope="Local", path_prefix="/x/")["Policies"]
    ] == ["attached"]
    boundary_only = iam.list_policies(
        ctx, scope="Local", only_attached=True, policy_usage_filter="PermissionsBoundary"
    )
    assert boundary_only["Policies"] == []


def test_list_policies_rejects_unknown_scope(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(ValidationError) as err:
        iam.list_policies(ctx, scope="Mine")
    assert "Member must satisfy enum value set: [All, AWS, Local]" in err.value.message
