"""Inline policies (IAM API reference: PutRolePolicy, GetRolePolicy ...; iam-rules.md 3.2)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from eksiam.services import CallContext, IamService
from eksiam.services.iam.errors import LimitExceeded, MalformedPolicyDocument, NoSuchEntity

from .conftest import identity_policy


def _big_policy(n_resources: int) -> str:
    resources = [f"arn:aws:s3:::b{i:05d}/*" for i in range(n_resources)]
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": resources}]}
    )


@pytest.mark.parametrize("entity", ["role", "user", "group"])
def test_put_get_list_delete(iam: IamService, ctx: CallContext, make_role, entity: str) -> None:
    if entity == "role":
        make_role("e")
    elif entity == "user":
        iam.create_user(ctx, user_name="e")
    else:
        iam.create_group(ctx, group_name="e")
    name = {f"{entity}_name": "e"}
    getattr(iam, f"put_{entity}_policy")(
        ctx, **name, policy_name="one", policy_document=identity_policy("s3:A")
    )
    getattr(iam, f"put_{entity}_policy")(
        ctx, **name, policy_name="one", policy_document=identity_policy("s3:B")
    )
    got = getattr(iam, f"get_{entity}_policy")(ctx, **name, policy_name="one")
    assert got[f"{entity.capitalize()}Name"] == "e" and got["PolicyName"] == "one"
    assert json.loads(unquote(got["PolicyDocument"]))["Statement"][0]["Action"] == "s3:B"
    assert getattr(iam, f"list_{entity}_policies")(ctx, **name)["PolicyNames"] == ["one"]
    getattr(iam, f"delete_{entity}_policy")(ctx, **name, policy_name="one")
    with pytest.raises(NoSuchEntity) as err:
        getattr(iam, f"get_{entity}_policy")(ctx, **name, policy_name="one")
    assert err.value.message == f"The {entity} policy with name one cannot be found."


def test_inline_policy_on_missing_role(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(NoSuchEntity):
        iam.put_role_policy(ctx, role_name="ghost", policy_name="p", policy_document=identity_policy())


def test_malformed_inline_policy(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("r")
    with pytest.raises(MalformedPolicyDocument):
        iam.put_role_policy(ctx, role_name="r", policy_name="p", policy_document='{"Version": "2012-10-17"')


def test_aggregate_inline_size_per_role_is_10240(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("r")
    iam.put_role_policy(ctx, role_name="r", policy_name="a", policy_document=_big_policy(250))
    with pytest.raises(LimitExceeded) as err:
        iam.put_role_policy(ctx, role_name="r", policy_name="b", policy_document=_big_policy(250))
    assert err.value.message == "Maximum policy size of 10240 bytes exceeded for role r"
    # Replacing the same policy counts only the new text.
    iam.put_role_policy(ctx, role_name="r", policy_name="a", policy_document=_big_policy(390))
    assert iam.list_role_policies(ctx, role_name="r")["PolicyNames"] == ["a"]


def test_aggregate_inline_size_per_user_is_2048(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="u")
    with pytest.raises(LimitExceeded) as err:
        iam.put_user_policy(ctx, user_name="u", policy_name="a", policy_document=_big_policy(90))
    assert err.value.message == "Maximum policy size of 2048 bytes exceeded for user u"
