"""EKS TagResource / UntagResource / ListTagsForResource (services/eks/tags.py), on every taggable
resource eksiam keeps, with the errors the EKS model names."""

import pytest
from tests.services.eks.conftest import ACCOUNT
from tests.services.eks.test_nodegroups import nodegroup
from tests.services.eks.test_pod_identity import pod_role

from eksiam.services import AccessDenied, Caller, CallerKind
from eksiam.services.eks.errors import BadRequestException, NotFoundException


def _resources(world):
    cluster = world.cluster()
    ng = nodegroup(world, world.node_role())
    association = world.eks.create_pod_identity_association(
        world.ctx, cluster_name="demo", namespace="default", service_account="app", role_arn=pod_role(world)
    )["association"]
    entry_role = world.role("viewer", "ec2.amazonaws.com")
    entry = world.eks.create_access_entry(world.ctx, cluster_name="demo", principal_arn=entry_role)
    entry = entry["accessEntry"]
    return [cluster["arn"], ng["nodegroupArn"], association["associationArn"], entry["accessEntryArn"]]


def test_tags_merge_drop_and_list_on_every_resource(world):
    for arn in _resources(world):
        world.eks.tag_resource(world.ctx, resource_arn=arn, tags={"team": "a", "env": "dev"})
        world.eks.tag_resource(world.ctx, resource_arn=arn, tags={"env": "prod", "cost": "42"})
        assert world.eks.list_tags_for_resource(world.ctx, resource_arn=arn)["tags"] == {
            "team": "a",
            "env": "prod",
            "cost": "42",
        }, arn
        world.eks.untag_resource(world.ctx, resource_arn=arn, tag_keys=["team", "never-there"])
        assert world.eks.list_tags_for_resource(world.ctx, resource_arn=arn)["tags"] == {
            "env": "prod",
            "cost": "42",
        }


def test_tags_given_at_creation_are_listed_and_describe_shows_tagging(world):
    world.eks.create_cluster(
        world.ctx,
        name="tagged",
        role_arn=world.cluster_role(),
        resources_vpc_config={"subnetIds": ["subnet-1"]},
        tags={"owner": "me"},
    )
    arn = f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/tagged"
    world.eks.tag_resource(world.ctx, resource_arn=arn, tags={"more": "yes"})
    described = world.eks.describe_cluster(world.ctx, name="tagged")["cluster"]
    assert described["tags"] == {"owner": "me", "more": "yes"}


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/nope",
        f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/demo",  # another region's
        f"arn:aws:eks:us-east-1:{ACCOUNT}:nodegroup/demo/ng/00000000-0000-0000-0000-000000000000",
        f"arn:aws:iam::{ACCOUNT}:role/demo",
    ],
)
def test_unknown_resources_are_not_found(world, arn):
    world.cluster()
    with pytest.raises(NotFoundException) as caught:
        world.eks.list_tags_for_resource(world.ctx, resource_arn=arn)
    assert (caught.value.code, caught.value.status) == ("NotFoundException", 404)
    with pytest.raises(NotFoundException):
        world.eks.tag_resource(world.ctx, resource_arn=arn, tags={"a": "b"})


def test_another_accounts_resource_is_access_denied_before_anything_else(world):
    world.cluster()
    theirs = "arn:aws:eks:us-east-1:210987654321:cluster/demo"
    with pytest.raises(AccessDenied):  # EKS resources have no resource policy to let anyone in
        world.eks.list_tags_for_resource(world.ctx, resource_arn=theirs)


def test_bad_arns_reserved_prefixes_and_too_many_tags_are_bad_requests(world):
    arn = world.cluster()["arn"]
    with pytest.raises(BadRequestException):
        world.eks.list_tags_for_resource(world.ctx, resource_arn="not-an-arn")
    for tags in ({"aws:owner": "x"}, {"AWS:x": "y"}, {"k": "aws:v"}):
        with pytest.raises(BadRequestException):
            world.eks.tag_resource(world.ctx, resource_arn=arn, tags=tags)
    with pytest.raises(BadRequestException):
        world.eks.untag_resource(world.ctx, resource_arn=arn, tag_keys=["aws:cloudformation:stack-name"])
    world.eks.tag_resource(world.ctx, resource_arn=arn, tags={f"k{i}": "v" for i in range(50)})
    with pytest.raises(BadRequestException):
        world.eks.tag_resource(world.ctx, resource_arn=arn, tags={"one-more": "v"})
    assert len(world.eks.list_tags_for_resource(world.ctx, resource_arn=arn)["tags"]) == 50  # unchanged


def test_tagging_needs_eks_tag_resource_on_that_arn(world):
    arn = world.cluster()["arn"]
    world.iam.create_user(world.ctx, user_name="bob")
    world.iam.put_user_policy(
        world.ctx,
        user_name="bob",
        policy_name="p",
        policy_document='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Action":"eks:ListTagsForResource","Resource":"' + arn + '"}]}',
    )
    bob = world.context(
        Caller(CallerKind.USER, f"arn:aws:iam::{ACCOUNT}:user/bob", ACCOUNT, "AIDABOB", "AKIABOB")
    )
    assert world.eks.list_tags_for_resource(bob, resource_arn=arn)["tags"] == {}
    with pytest.raises(AccessDenied) as caught:
        world.eks.tag_resource(bob, resource_arn=arn, tags={"a": "b"})
    assert f"eks:TagResource on resource: {arn}" in caught.value.message
