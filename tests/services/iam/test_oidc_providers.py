"""OIDC providers (IAM API reference: CreateOpenIDConnectProvider ...; EKS User Guide "Create an IAM
OIDC provider"; iam-rules.md 1.2, 3.1 and 5)."""

from __future__ import annotations

import pytest

from eksiam.services import CallContext, IamService
from eksiam.services.iam.errors import EntityAlreadyExists, LimitExceeded, NoSuchEntity, ValidationError

from .conftest import ACCOUNT, NOW

ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
HOST_PATH = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def test_create_and_get_provider(iam: IamService, ctx: CallContext) -> None:
    out = iam.create_open_id_connect_provider(
        ctx, url=ISSUER, client_id_list=["sts.amazonaws.com"], thumbprint_list=[THUMB]
    )
    arn = out["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST_PATH}"
    got = iam.get_open_id_connect_provider(ctx, open_id_connect_provider_arn=arn)
    assert got == {
        "Url": HOST_PATH,
        "ClientIDList": ["sts.amazonaws.com"],
        "ThumbprintList": [THUMB],
        "CreateDate": NOW,
    }
    assert iam.list_open_id_connect_providers(ctx) == {"OpenIDConnectProviderList": [{"Arn": arn}]}


def test_port_443_is_dropped(iam: IamService, ctx: CallContext) -> None:
    arn = iam.create_open_id_connect_provider(
        ctx, url="https://issuer.example.com:443/id/ABC", client_id_list=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/issuer.example.com/id/ABC"
    assert (
        iam.get_open_id_connect_provider(ctx, open_id_connect_provider_arn=arn)["Url"]
        == "issuer.example.com/id/ABC"
    )
    with pytest.raises(EntityAlreadyExists):
        iam.create_open_id_connect_provider(ctx, url="https://issuer.example.com/id/ABC")


def test_url_must_be_https(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(ValidationError):
        iam.create_open_id_connect_provider(ctx, url="http://issuer.example.com")
    assert iam.list_open_id_connect_providers(ctx)["OpenIDConnectProviderList"] == []


def test_thumbprint_must_be_40_characters(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(ValidationError):
        iam.create_open_id_connect_provider(ctx, url=ISSUER, thumbprint_list=["abc"])


def test_at_most_five_thumbprints(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(LimitExceeded):
        iam.create_open_id_connect_provider(ctx, url=ISSUER, thumbprint_list=[THUMB] * 6)


def test_client_ids_add_remove_idempotent(iam: IamService, ctx: CallContext) -> None:
    arn = iam.create_open_id_connect_provider(ctx, url=ISSUER)["OpenIDConnectProviderArn"]
    iam.add_client_id_to_open_id_connect_provider(
        ctx, open_id_connect_provider_arn=arn, client_id="sts.amazonaws.com"
    )
    iam.add_client_id_to_open_id_connect_provider(
        ctx, open_id_connect_provider_arn=arn, client_id="sts.amazonaws.com"
    )
    assert iam.get_open_id_connect_provider(ctx, open_id_connect_provider_arn=arn)["ClientIDList"] == [
        "sts.amazonaws.com"
    ]
    iam.remove_client_id_from_open_id_connect_provider(
        ctx, open_id_connect_provider_arn=arn, client_id="other"
    )
    iam.remove_client_id_from_open_id_connect_provider(
        ctx, open_id_connect_provider_arn=arn, client_id="sts.amazonaws.com"
    )
    assert iam.get_open_id_connect_provider(ctx, open_id_connect_provider_arn=arn)["ClientIDList"] == []


def test_client_id_quota_100(iam: IamService, ctx: CallContext) -> None:
    arn = iam.create_open_id_connect_provider(ctx, url=ISSUER, client_id_list=[f"c{i}" for i in range(100)])[
        "OpenIDConnectProviderArn"
    ]
    with pytest.raises(LimitExceeded) as err:
        iam.add_client_id_to_open_id_connect_provider(
            ctx, open_id_connect_provider_arn=arn, client_id="one-more"
        )
    assert err.value.message == "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"


def test_update_thumbprint_replaces_list(iam: IamService, ctx: CallContext) -> None:
    arn = iam.create_open_id_connect_provider(ctx, url=ISSUER, thumbprint_list=[THUMB])[
        "OpenIDConnectProviderArn"
    ]
    other = "a" * 40
    iam.update_open_id_connect_provider_thumbprint(
        ctx, open_id_connect_provider_arn=arn, thumbprint_list=[other]
    )
    assert iam.get_open_id_connect_provider(ctx, open_id_connect_provider_arn=arn)["ThumbprintList"] == [
        other
    ]


def test_delete_is_idempotent(iam: IamService, ctx: CallContext) -> None:
    arn = iam.create_open_id_connect_provider(ctx, url=ISSUER)["OpenIDConnectProviderArn"]
    iam.delete_open_id_connect_provider(ctx, open_id_connect_provider_arn=arn)
    iam.delete_open_id_connect_provider(ctx, open_id_connect_provider_arn=arn)
    with pytest.raises(NoSuchEntity):
        iam.get_open_id_connect_provider(ctx, open_id_connect_provider_arn=arn)


def test_provider_tags(iam: IamService, ctx: CallContext) -> None:
    out = iam.create_open_id_connect_provider(ctx, url=ISSUER, tags=[{"Key": "cluster", "Value": "c1"}])
    arn = out["OpenIDConnectProviderArn"]
    assert out["Tags"] == [{"Key": "cluster", "Value": "c1"}]
    iam.tag_open_id_connect_provider(
        ctx, open_id_connect_provider_arn=arn, tags=[{"Key": "env", "Value": "dev"}]
    )
    iam.untag_open_id_connect_provider(ctx, open_id_connect_provider_arn=arn, tag_keys=["cluster"])
    assert iam.list_open_id_connect_provider_tags(ctx, open_id_connect_provider_arn=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
