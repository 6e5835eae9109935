"""The other IAM resource types through stacks: User, Group, AccessKey, UserToGroupAddition,
InstanceProfile, OIDCProvider, ManagedPolicy attachments. Return values and properties from the
CloudFormation template reference of each type (AccessKey: Ref is the key id, GetAtt
SecretAccessKey; OIDCProvider: Ref is the ARN; InstanceProfile: GetAtt Arn).
"""

from __future__ import annotations

import json
from typing import Any

from eksiam.services import CallContext, Services

DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}

TEMPLATE = {
    "Resources": {
        "Team": {
            "Type": "AWS::IAM::Group",
            "Properties": {"Policies": [{"PolicyName": "g", "PolicyDocument": DOC}]},
        },
        "Dev": {
            "Type": "AWS::IAM::User",
            "Properties": {"Path": "/people/", "Tags": [{"Key": "k", "Value": "v"}]},
        },
        "Join": {
            "Type": "AWS::IAM::UserToGroupAddition",
            "Properties": {"GroupName": {"Ref": "Team"}, "Users": [{"Ref": "Dev"}]},
        },
        "Key": {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": {"Ref": "Dev"}}},
        "Shared": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": DOC, "Users": [{"Ref": "Dev"}], "Groups": [{"Ref": "Team"}]},
        },
        "NodeRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
        "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "NodeRole"}]}},
        "Provider": {
            "Type": "AWS::IAM::OIDCProvider",
            "Properties": {
                "Url": "https://oidc.example.com/id/ABC",
                "ClientIdList": ["sts.amazonaws.com"],
                "ThumbprintList": ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
            },
        },
    },
    "Outputs": {
        "KeyId": {"Value": {"Ref": "Key"}},
        "ProviderArn": {"Value": {"Ref": "Provider"}},
        "ProfileArn": {"Value": {"Fn::GetAtt": ["Profile", "Arn"]}},
        "UserArn": {"Value": {"Fn::GetAtt": ["Dev", "Arn"]}},
        "HasSecret": {"Value": {"Fn::If": ["Always", "yes", "no"]}},
    },
    "Conditions": {"Always": {"Fn::Equals": ["a", "a"]}},
}


def outputs(services: Services, ctx: CallContext, name: str) -> dict[str, str]:
    stack: dict[str, Any] = services.cloudformation.describe_stacks(ctx, stack_name=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", services.cloudformation.describe_stack_events(
        ctx, stack_name=name
    )
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_principals_keys_profiles_and_providers(services: Services, ctx: CallContext) -> None:
    iam, cfn = services.iam, services.cloudformation
    cfn.create_stack(
        ctx, stack_name="people", template_body=json.dumps(TEMPLATE), capabilities=["CAPABILITY_IAM"]
    )
    out = outputs(services, ctx, "people")
    user_name = out["UserArn"].rsplit("/", 1)[-1]
    assert out["UserArn"].startswith("arn:aws:iam::123456789012:user/people/people-Dev-")
    user = iam.get_user(ctx, user_name=user_name)["User"]
    assert {"Key": "k", "Value": "v"} in user["Tags"]
    [group] = iam.list_groups_for_user(ctx, user_name=user_name)["Groups"]
    assert iam.list_group_policies(ctx, group_name=group["GroupName"])["PolicyNames"] == ["g"]
    keys = iam.list_access_keys(ctx, user_name=user_name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [out["KeyId"]]
    profile = iam.get_instance_profile(ctx, instance_profile_name=out["ProfileArn"].rsplit("/", 1)[-1])
    assert [r["RoleName"] for r in profile["InstanceProfile"]["Roles"]][0].startswith("people-NodeRole-")
    provider = iam.get_open_id_connect_provider(ctx, open_id_connect_provider_arn=out["ProviderArn"])
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    attached = iam.list_attached_user_policies(ctx, user_name=user_name)["AttachedPolicies"]
    assert len(attached) == 1

    cfn.delete_stack(ctx, stack_name="people")
    assert iam.list_users(ctx)["Users"] == []
    assert iam.list_groups(ctx)["Groups"] == []
    assert iam.list_instance_profiles(ctx)["InstanceProfiles"] == []
    assert iam.list_open_id_connect_providers(ctx)["OpenIDConnectProviderList"] == []
    assert iam.list_policies(ctx, scope="Local")["Policies"] == []
    assert iam.list_roles(ctx)["Roles"] == []
