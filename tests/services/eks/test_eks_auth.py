"""eks-auth:AssumeRoleForPodIdentity (EKS API Reference; EKS User Guide "Understand how EKS Pod
Identity works", "Grant Pods access to AWS resources based on tags")."""

import pytest

from eksiam.errors import ServiceError
from eksiam.oidc import issue_service_account_token
from eksiam.services.oidc_issuers import IssuerRegistry


@pytest.fixture
def pod_identity(world, store):
    cluster = world.cluster()
    role = world.role("app-role", "pods.eks.amazonaws.com", actions=["sts:AssumeRole", "sts:TagSession"])
    world.eks.create_pod_identity_association(
        world.ctx, cluster_name="demo", namespace="apps", service_account="app", role_arn=role
    )
    registry = IssuerRegistry(store, world.clock, world.settings)

    def token(namespace="apps", service_account="app", audience="pods.eks.amazonaws.com", seconds=3600):
        return issue_service_account_token(
            registry,
            cluster["identity"]["oidc"]["issuer"],
            namespace=namespace,
            service_account=service_account,
            audiences=[audience],
            expiration_seconds=seconds,
            pod_name="app-7d9f",
            pod_uid="1234-uid",
        ).token

    return cluster, role, token


def test_pod_token_becomes_a_role_session_with_the_six_eks_tags(world, store, pod_identity):
    cluster, role, token = pod_identity
    answer = world.services.eks_auth.assume_role_for_pod_identity(
        world.ctx, cluster_name="demo", token=token()
    )
    assert answer["subject"] == {"namespace": "apps", "serviceAccount": "app"}
    assert answer["audience"] == "pods.eks.amazonaws.com"
    assert answer["assumedRoleUser"]["arn"].startswith(
        "arn:aws:sts::123456789012:assumed-role/app-role/eks-demo-app-7d9f-"
    )
    credentials = answer["credentials"]
    session = world.services.credentials.tokens.open(credentials["accessKeyId"], credentials["sessionToken"])
    assert session is not None
    tags = {t["Key"]: t["Value"] for t in session["Tags"]}
    assert tags == {
        "eks-cluster-arn": cluster["arn"],
        "eks-cluster-name": "demo",
        "kubernetes-namespace": "apps",
        "kubernetes-service-account": "app",
        "kubernetes-pod-name": "app-7d9f",
        "kubernetes-pod-uid": "1234-uid",
    }


def test_service_account_without_association_is_not_found(world, pod_identity):
    _, _, token = pod_identity
    with pytest.raises(ServiceError) as err:
        world.services.eks_auth.assume_role_for_pod_identity(
            world.ctx, cluster_name="demo", token=token(service_account="other")
        )
    assert (err.value.code, err.value.status) == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize("bad", ["not-a-jwt", "a.b.c"])
def test_garbage_tokens_are_invalid(world, pod_identity, bad):
    with pytest.raises(ServiceError) as err:
        world.services.eks_auth.assume_role_for_pod_identity(world.ctx, cluster_name="demo", token=bad)
    assert err.value.code == "InvalidTokenException"


def test_wrong_audience_and_expired_tokens(world, pod_identity):
    _, _, token = pod_identity
    with pytest.raises(ServiceError) as err:
        world.services.eks_auth.assume_role_for_pod_identity(
            world.ctx, cluster_name="demo", token=token(audience="sts.amazonaws.com")
        )
    assert err.value.code == "InvalidTokenException"
    stale = token(seconds=600)
    world.clock.advance(3600)
    later = world.context(world.ctx.caller)
    with pytest.raises(ServiceError) as err:
        world.services.eks_auth.assume_role_for_pod_identity(later, cluster_name="demo", token=stale)
    assert err.value.code == "ExpiredTokenException"


def test_token_from_another_cluster_is_refused(world, store, pod_identity):
    other = world.cluster("other", world.cluster_role("otherRole"))
    registry = IssuerRegistry(store, world.clock, world.settings)
    foreign = issue_service_account_token(
        registry,
        other["identity"]["oidc"]["issuer"],
        namespace="apps",
        service_account="app",
        audiences=["pods.eks.amazonaws.com"],
    ).token
    with pytest.raises(ServiceError) as err:
        world.services.eks_auth.assume_role_for_pod_identity(world.ctx, cluster_name="demo", token=foreign)
    assert err.value.code == "InvalidTokenException"
