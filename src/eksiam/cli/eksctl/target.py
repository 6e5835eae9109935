"""The AWS endpoint and identity a command works against, found as the AWS CLI finds them.

The endpoint is ``--endpoint-url``, else ``AWS_ENDPOINT_URL``, else the local default; credentials
come from the standard chain (environment, profile, ...). Missing credentials or an unreachable
server become CommandErrors that say what to run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from eksiam.cli.eksctl.output import CommandError
from eksiam.config import endpoint_from_env

IAM_SIGNING_REGION = "us-east-1"


def aws_message(err: ClientError) -> str:
    error = err.response.get("Error", {})
    return f"{error.get('Code', 'Error')}: {error.get('Message', '')}"


@dataclass
class Target:
    session: Any
    endpoint: str
    region: str

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint, region_name=self.region)

    @cached_property
    def iam(self) -> Any:
        """IAM is global: requests are signed for us-east-1 whatever the command's region."""
        return self.session.client("iam", endpoint_url=self.endpoint, region_name=IAM_SIGNING_REGION)

    @cached_property
    def eks(self) -> Any:
        return self.client("eks")

    @cached_property
    def identity(self) -> dict[str, str]:
        try:
            answer: dict[str, str] = self.client("sts").get_caller_identity()
        except NoCredentialsError:
            raise CommandError(
                "no AWS credentials found",
                'run `eval "$(eksiam credentials)"` (or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
            ) from None
        except EndpointConnectionError:
            raise CommandError(
                f"cannot reach the eksiam server at {self.endpoint}",
                "start it with `eksiam up` (or pass --endpoint-url / set AWS_ENDPOINT_URL)",
            ) from None
        except ClientError as err:
            raise CommandError(
                f"the server refused these credentials ({aws_message(err)})",
                "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; `eksiam credentials` prints the root keys",
            ) from None
        return answer

    @property
    def account(self) -> str:
        return self.identity["Account"]

    @property
    def partition(self) -> str:
        return self.identity["Arn"].split(":")[1]

    def cluster(self, name: str) -> dict[str, Any]:
        self.identity  # noqa: B018 (credentials and reachability first, with their own messages)
        try:
            cluster: dict[str, Any] = self.eks.describe_cluster(name=name)["cluster"]
        except ClientError as err:
            if err.response["Error"]["Code"] == "ResourceNotFoundException":
                raise CommandError(
                    f'cluster "{name}" not found in region {self.region} ({aws_message(err)})',
                    f"list clusters with `aws eks list-clusters --region {self.region}`, "
                    "or create one with `eksiam create cluster --name NAME`",
                ) from None
            raise CommandError(f"describing cluster {name}: {aws_message(err)}") from None
        return cluster


def target(endpoint_url: str | None, region: str | None) -> Target:
    session = boto3.session.Session(region_name=region)
    return Target(session, endpoint_from_env(endpoint_url), session.region_name or "us-east-1")
