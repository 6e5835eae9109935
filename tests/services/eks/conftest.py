import json
from datetime import UTC, datetime

import pytest

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.services import build_services
from eksiam.services.context import CallContext, Caller, CallerKind

ACCOUNT = "123456789012"
AWS = "arn:aws:iam::aws:policy/"


def trust(service, actions="sts:AssumeRole"):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}],
        }
    )


class World:
    """Services over a real store, called as the account's root user unless a test says otherwise."""

    def __init__(self, store):
        self.clock = ManualClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
        self.settings = Settings(account_id=ACCOUNT, data_url="unused://")
        self.services = build_services(store, self.clock, self.settings)
        self.iam, self.eks = self.services.iam, self.services.eks
        self.ctx = self.context(Caller(CallerKind.ROOT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, ACCOUNT))

    def context(self, caller):
        return CallContext(
            account=ACCOUNT, region="us-east-1", request_id="r", now=self.clock.now(), caller=caller
        )

    def role(self, name, service, policies=(), actions="sts:AssumeRole"):
        arn = self.iam.create_role(
            self.ctx, role_name=name, assume_role_policy_document=trust(service, actions)
        )["Role"]["Arn"]
        for policy in policies:
            self.iam.attach_role_policy(
                self.ctx, role_name=name, policy_arn=policy if ":" in policy else AWS + policy
            )
        return arn

    def cluster_role(self, name="eksClusterRole"):
        return self.role(name, "eks.amazonaws.com", ["AmazonEKSClusterPolicy"])

    def node_role(self, name="AmazonEKSNodeRole", cni=True):
        policies = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"]
        return self.role(name, "ec2.amazonaws.com", policies + (["AmazonEKS_CNI_Policy"] if cni else []))

    def deletion_status(self, role_name):
        """Delete a service-linked role and poll its task until it finishes, as a client would."""
        task = self.iam.delete_service_linked_role(self.ctx, role_name=role_name)["DeletionTaskId"]
        for _ in range(10):
            status = self.iam.get_service_linked_role_deletion_status(self.ctx, deletion_task_id=task)
            if status["Status"] in ("SUCCEEDED", "FAILED"):
                return status
        raise AssertionError(f"deletion task {task} did not finish: {status}")

    def cluster(self, name="demo", role_arn=None):
        return self.eks.create_cluster(
            self.ctx,
            name=name,
            role_arn=role_arn or self.cluster_role(),
            resources_vpc_config={"subnetIds": ["subnet-1", "subnet-2"]},
        )["cluster"]


@pytest.fixture
def world(store):
    return World(store)
