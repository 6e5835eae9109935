"""Stacks over the wire: `deploy` updates and no-op deploys, stack tags on resources, boto3
waiters on success and rollback, and authorization with the caller's own IAM permissions
(CloudFormation without a service role acts with the caller's credentials: "AWS CloudFormation
service role"). Sources: aws CLI `cloudformation deploy` reference ("No changes to deploy"),
botocore's cloudformation waiters, CloudFormation User Guide "Stack status codes".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from tests.e2e.conftest import RunningServer, stop_server

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def role_template(description: str) -> str:
    return json.dumps(
        {
            "Resources": {
                "AppRole": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {"AssumeRolePolicyDocument": TRUST, "Description": description},
                }
            },
            "Outputs": {"RoleName": {"Value": {"Ref": "AppRole"}}},
        }
    )


def outputs(server: RunningServer, name: str) -> dict[str, str]:
    stack = server.aws_json("cloudformation", "describe-stacks", "--stack-name", name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def deploy(server: RunningServer, name: str, body: str, *extra: str) -> Any:
    (server.workdir / f"{name}.json").write_text(body)
    return server.aws(
        "cloudformation",
        "deploy",
        "--capabilities",
        "CAPABILITY_IAM",
        "--template-file",
        f"{name}.json",
        "--stack-name",
        name,
        *extra,
        check=False,
    )


def test_deploy_updates_in_place_then_reports_no_changes(eksiam_server: RunningServer) -> None:
    server = eksiam_server
    assert deploy(server, "updating", role_template("one"), "--tags", "team=blue").returncode == 0
    role_name = outputs(server, "updating")["RoleName"]
    role = server.aws_json("iam", "get-role", "--role-name", role_name)["Role"]
    assert {"Key": "team", "Value": "blue"} in role["Tags"]

    result = deploy(server, "updating", role_template("two"), "--tags", "team=blue")
    assert result.returncode == 0, result.stderr
    stack = server.aws_json("cloudformation", "describe-stacks", "--stack-name", "updating")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs(server, "updating")["RoleName"] == role_name
    assert server.aws_json("iam", "get-role", "--role-name", role_name)["Role"]["Description"] == "two"

    again = deploy(server, "updating", role_template("two"), "--tags", "team=blue")
    assert again.returncode != 0  # the CLI fails on an empty change set unless told not to
    assert "No changes to deploy. Stack updating is up to date" in again.stderr
    time.sleep(1.1)  # the CLI names its change sets by the second; the failed empty one is kept
    quiet = deploy(
        server, "updating", role_template("two"), "--tags", "team=blue", "--no-fail-on-empty-changeset"
    )
    assert quiet.returncode == 0, quiet.stderr


def test_boto3_waiters_see_completion_and_rollback(eksiam_server: RunningServer) -> None:
    cfn = eksiam_server.client("cloudformation")
    cfn.create_stack(StackName="waited", TemplateBody=role_template("w"), Capabilities=["CAPABILITY_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName="waited", WaiterConfig={"Delay": 1})
    broken = {
        "Resources": {"Bad": {"Type": "AWS::IAM::Role", "Properties": {"Description": "no trust policy"}}}
    }
    cfn.create_stack(StackName="broken", TemplateBody=json.dumps(broken), Capabilities=["CAPABILITY_IAM"])
    with pytest.raises(botocore.exceptions.WaiterError) as failed:
        cfn.get_waiter("stack_create_complete").wait(StackName="broken", WaiterConfig={"Delay": 1})
    assert "ROLLBACK_COMPLETE" in str(failed.value)
    assert cfn.describe_stacks(StackName="broken")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    cfn.delete_stack(StackName="broken")
    cfn.get_waiter("stack_delete_complete").wait(StackName="broken", WaiterConfig={"Delay": 1})
    names = [s["StackName"] for s in cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]]
    assert "broken" in names


def test_stack_operations_use_the_callers_permissions(eksiam_server: RunningServer) -> None:
    server = eksiam_server
    iam = server.client("iam")
    iam.create_user(UserName="deployer")
    iam.put_user_policy(
        UserName="deployer",
        PolicyName="cfn-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    deployer = server.client(
        "cloudformation", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    deployer.create_stack(
        StackName="limited", TemplateBody=role_template("x"), Capabilities=["CAPABILITY_IAM"]
    )
    stack = deployer.describe_stacks(StackName="limited")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = deployer.describe_stack_events(StackName="limited")["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed and "AccessDenied" in failed[0]["ResourceStatusReason"]
    assert "iam:CreateRole" in failed[0]["ResourceStatusReason"]

    iam.delete_user_policy(UserName="deployer", PolicyName="cfn-only")
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        deployer.describe_stacks(StackName="limited")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_stacks_survive_a_restart_and_delete_afterwards(
    start_eksiam: Callable[..., RunningServer], tmp_path: Path
) -> None:
    data_url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = start_eksiam(data_url=data_url)
    cfn = first.client("cloudformation")
    cfn.create_stack(StackName="durable", TemplateBody=role_template("d"), Capabilities=["CAPABILITY_IAM"])
    role_name = outputs(first, "durable")["RoleName"]
    stop_server(first)

    second = start_eksiam(data_url=data_url)
    assert (
        second.aws_json("cloudformation", "describe-stacks", "--stack-name", "durable")["Stacks"][0][
            "StackStatus"
        ]
        == "CREATE_COMPLETE"
    )
    second.aws("cloudformation", "delete-stack", "--stack-name", "durable")
    second.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "durable")
    gone = second.aws("iam", "get-role", "--role-name", role_name, check=False)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr
