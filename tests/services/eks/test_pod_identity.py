"""Pod Identity associations and access entries (EKS API Reference; EKS User Guide "EKS Pod Identity",
"Access entries")."""

import pytest

from eksiam.errors import ServiceError

from .conftest import ACCOUNT


def pod_role(world, name="app-role", actions=("sts:AssumeRole", "sts:TagSession")):
    return world.role(name, "pods.eks.amazonaws.com", actions=list(actions))


def test_association_lifecycle(world):
    world.cluster()
    role = pod_role(world)
    created = world.eks.create_pod_identity_association(
        world.ctx, cluster_name="demo", namespace="default", service_account="app", role_arn=role
    )["association"]
    assoc_id = created["associationId"]
    assert assoc_id.startswith("a-") and len(assoc_id) == 19
    assert (
        created["associationArn"] == f"arn:aws:eks:us-east-1:{ACCOUNT}:podidentityassociation/demo/{assoc_id}"
    )
    listed = world.eks.list_pod_identity_associations(world.ctx, cluster_name="demo", namespace="default")
    assert [a["associationId"] for a in listed["associations"]] == [assoc_id]
    assert (
        world.eks.list_pod_identity_associations(world.ctx, cluster_name="demo", namespace="other")[
            "associations"
        ]
        == []
    )
    other = pod_role(world, "other-role")
    updated = world.eks.update_pod_identity_association(
        world.ctx, cluster_name="demo", association_id=assoc_id, role_arn=other
    )["association"]
    assert updated["roleArn"] == other
    world.eks.delete_pod_identity_association(world.ctx, cluster_name="demo", association_id=assoc_id)
    with pytest.raises(ServiceError) as err:
        world.eks.describe_pod_identity_association(world.ctx, cluster_name="demo", association_id=assoc_id)
    assert err.value.code == "ResourceNotFoundException"


def test_one_association_per_service_account(world):
    world.cluster()
    role = pod_role(world)
    world.eks.create_pod_identity_association(
        world.ctx, cluster_name="demo", namespace="ns", service_account="sa", role_arn=role
    )
    with pytest.raises(ServiceError) as err:
        world.eks.create_pod_identity_association(
            world.ctx, cluster_name="demo", namespace="ns", service_account="sa", role_arn=role
        )
    assert err.value.code == "ResourceInUseException"


def test_role_must_trust_pods_eks_with_tag_session(world):
    world.cluster()
    no_tag = pod_role(world, "no-tag", actions=("sts:AssumeRole",))
    with pytest.raises(ServiceError) as err:
        world.eks.create_pod_identity_association(
            world.ctx, cluster_name="demo", namespace="ns", service_account="sa", role_arn=no_tag
        )
    assert err.value.code == "InvalidParameterException" and "sts:TagSession" in err.value.message
    irsa_style = world.role("irsa", "ec2.amazonaws.com")
    with pytest.raises(ServiceError):
        world.eks.create_pod_identity_association(
            world.ctx, cluster_name="demo", namespace="ns", service_account="sa", role_arn=irsa_style
        )


def test_access_entries_and_policies(world):
    world.cluster()
    dev = world.role("developer", "ec2.amazonaws.com")
    entry = world.eks.create_access_entry(world.ctx, cluster_name="demo", principal_arn=dev)["accessEntry"]
    assert entry["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/{{{{SessionName}}}}"
    assert entry["type"] == "STANDARD"
    view = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    world.eks.associate_access_policy(
        world.ctx,
        cluster_name="demo",
        principal_arn=dev,
        policy_arn=view,
        access_scope={"type": "namespace", "namespaces": ["team"]},
    )
    assert world.eks.list_access_entries(world.ctx, cluster_name="demo", associated_policy_arn=view)[
        "accessEntries"
    ] == [dev]
    with pytest.raises(ServiceError) as err:
        world.eks.associate_access_policy(
            world.ctx,
            cluster_name="demo",
            principal_arn=dev,
            policy_arn=view,
            access_scope={"type": "namespace"},
        )
    assert err.value.code == "InvalidParameterException"
    with pytest.raises(ServiceError) as err:
        world.eks.create_access_entry(world.ctx, cluster_name="demo", principal_arn=dev)
    assert err.value.code == "ResourceInUseException"
    with pytest.raises(ServiceError) as err:
        world.eks.create_access_entry(
            world.ctx,
            cluster_name="demo",
            principal_arn=dev.replace("developer", "x"),
            kubernetes_groups=["system:masters"],
        )
    assert err.value.code == "InvalidParameterException"
    world.eks.delete_access_entry(world.ctx, cluster_name="demo", principal_arn=dev)
    assert dev not in world.eks.list_access_entries(world.ctx, cluster_name="demo")["accessEntries"]


def test_kube_permissions_follow_access_policies(world, store):
    from eksiam.services.eks import kube_permissions

    world.cluster()
    dev = world.role("developer", "ec2.amazonaws.com")
    world.eks.create_access_entry(world.ctx, cluster_name="demo", principal_arn=dev)
    world.eks.associate_access_policy(
        world.ctx,
        cluster_name="demo",
        principal_arn=dev,
        policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        access_scope={"type": "namespace", "namespaces": ["team"]},
    )
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/alice"
    access = store.read(lambda uow: kube_permissions(uow, ACCOUNT, "us-east-1", "demo", session))
    assert access.username == f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/alice"
    assert access.allows("list", "pods", "team")
    assert not access.allows("create", "pods", "team")
    assert not access.allows("list", "pods", "default")
    stranger = f"arn:aws:sts::{ACCOUNT}:assumed-role/stranger/bob"
    assert store.read(lambda uow: kube_permissions(uow, ACCOUNT, "us-east-1", "demo", stranger)) is None
