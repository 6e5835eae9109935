"""EKS tagging over the wire: boto3 puts the ARN in the URL path, percent-encoded."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from tests.server.conftest import LiveApp

CLUSTER_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def test_boto3_tags_a_cluster_and_reads_the_tags_back(live_app: LiveApp) -> None:
    iam, eks = live_app.client("iam"), live_app.client("eks")
    role = iam.create_role(RoleName="eksClusterRole", AssumeRolePolicyDocument=CLUSTER_TRUST)["Role"]["Arn"]
    policy = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    iam.attach_role_policy(RoleName="eksClusterRole", PolicyArn=policy)
    arn = eks.create_cluster(
        name="demo", roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-1"]}, tags={"owner": "me"}
    )["cluster"]["arn"]
    eks.tag_resource(resourceArn=arn, tags={"team": "platform"})
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"owner": "me", "team": "platform"}
    eks.untag_resource(resourceArn=arn, tagKeys=["owner"])
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "platform"}
    with pytest.raises(ClientError) as caught:
        eks.list_tags_for_resource(resourceArn=arn.replace("demo", "nope"))
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
