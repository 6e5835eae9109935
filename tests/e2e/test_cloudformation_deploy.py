"""`aws cloudformation deploy` and friends against a real server, with the real aws CLI.

The connector template is the one in the Amazon EKS User Guide, "Amazon EKS connector IAM role"
(CloudFormation tab), with the service names the page leaves blank filled in. `deploy` calls
DescribeStacks, CreateChangeSet (CREATE), waits with DescribeChangeSet, ExecuteChangeSet and waits
with DescribeStacks for CREATE_COMPLETE; it exits non-zero when the stack fails.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.conftest import RunningServer

TEMPLATES = Path(__file__).parents[1] / "services" / "cloudformation" / "templates"
CONNECTOR_SLR = "AWSServiceRoleForAmazonEKSConnector"


@pytest.fixture
def connector_template(eksiam_server: RunningServer) -> str:
    shutil.copy(TEMPLATES / "eks-connector.yaml", eksiam_server.workdir / "eks-connector.yaml")
    return "eks-connector.yaml"


def stack(server: RunningServer, name: str) -> dict[str, Any]:
    found: dict[str, Any] = server.aws_json("cloudformation", "describe-stacks", "--stack-name", name)[
        "Stacks"
    ][0]
    return found


def test_connector_template_deploys_and_deletes(
    eksiam_server: RunningServer, connector_template: str
) -> None:
    server = eksiam_server
    server.aws(
        "cloudformation",
        "deploy",
        "--capabilities",
        "CAPABILITY_IAM",
        "--template-file",
        connector_template,
        "--stack-name",
        "eksConnectorAgentRole",
    )
    created = stack(server, "eksConnectorAgentRole")
    assert created["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}
    resources = server.aws_json(
        "cloudformation", "describe-stack-resources", "--stack-name", "eksConnectorAgentRole"
    )["StackResources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}
    role = server.aws_json("iam", "get-role", "--role-name", physical["EKSConnectorAgentRole"])["Role"]
    assert outputs["EKSConnectorAgentRoleArn"] == role["Arn"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ssm.amazonaws.com"}
    policy = server.aws_json(
        "iam", "get-role-policy", "--role-name", role["RoleName"], "--policy-name", "EKSConnectorAgentPolicy"
    )
    assert policy["PolicyDocument"]["Statement"][0]["Resource"] == ["arn:aws:eks:*:*:cluster/*"]
    slr = server.aws_json("iam", "get-role", "--role-name", CONNECTOR_SLR)["Role"]
    assert slr["Path"] == "/aws-service-role/eks-connector.amazonaws.com/"
    assert physical["EKSConnectorSLR"] == CONNECTOR_SLR

    server.aws("cloudformation", "delete-stack", "--stack-name", "eksConnectorAgentRole")
    server.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "eksConnectorAgentRole")
    for name in (role["RoleName"], CONNECTOR_SLR):
        gone = server.aws("iam", "get-role", "--role-name", name, check=False)
        assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr


def test_deploy_without_capability_is_refused(eksiam_server: RunningServer, connector_template: str) -> None:
    result = eksiam_server.aws(
        "cloudformation",
        "deploy",
        "--template-file",
        connector_template,
        "--stack-name",
        "noCapability",
        check=False,
    )
    assert result.returncode != 0
    assert "InsufficientCapabilitiesException" in result.stderr
    assert "Requires capabilities : [CAPABILITY_IAM]" in result.stderr
    missing = eksiam_server.aws(
        "cloudformation", "describe-stacks", "--stack-name", "noCapability", check=False
    )
    assert "Stack with id noCapability does not exist" in missing.stderr


def test_failing_resource_rolls_back_completely(eksiam_server: RunningServer) -> None:
    server = eksiam_server
    template = {
        "Resources": {
            "GoodRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            },
            "BadPolicy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "bad",
                    "Roles": [{"Ref": "GoodRole"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:*"}],
                    },
                },
            },
        }
    }
    (server.workdir / "failing.json").write_text(json.dumps(template))
    result = server.aws(
        "cloudformation",
        "deploy",
        "--capabilities",
        "CAPABILITY_IAM",
        "--template-file",
        "failing.json",
        "--stack-name",
        "failing",
        check=False,
    )
    assert result.returncode != 0
    failed = stack(server, "failing")
    assert failed["StackStatus"] == "ROLLBACK_COMPLETE"
    events = server.aws_json("cloudformation", "describe-stack-events", "--stack-name", "failing")[
        "StackEvents"
    ]
    bad = [
        e for e in events if e["LogicalResourceId"] == "BadPolicy" and e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert len(bad) == 1 and "MalformedPolicyDocument" in bad[0]["ResourceStatusReason"]
    role_events = [e for e in events if e["LogicalResourceId"] == "GoodRole"]
    role_name = next(e["PhysicalResourceId"] for e in role_events if e["ResourceStatus"] == "CREATE_COMPLETE")
    assert role_events[0]["ResourceStatus"] == "DELETE_COMPLETE"  # newest first
    gone = server.aws("iam", "get-role", "--role-name", role_name, check=False)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr
    assert server.aws_json("iam", "list-roles")["Roles"] == [] or all(
        r["RoleName"] != role_name for r in server.aws_json("iam", "list-roles")["Roles"]
    )


def test_validate_template_of_the_connector_template(
    eksiam_server: RunningServer, connector_template: str
) -> None:
    out = eksiam_server.aws_json(
        "cloudformation", "validate-template", "--template-body", f"file://{connector_template}"
    )
    assert out["Description"] == "Provisions necessary resources needed to register clusters in EKS"
    assert out["Parameters"] == []
    assert out["Capabilities"] == ["CAPABILITY_IAM"]
    broken = eksiam_server.aws(
        "cloudformation", "validate-template", "--template-body", "Resources: [", check=False
    )
    assert broken.returncode != 0
    assert (
        "ValidationError" in broken.stderr and "Template format error: YAML not well-formed." in broken.stderr
    )
