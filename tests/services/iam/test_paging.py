"""Marker/MaxItems paging (IAM API reference, Common Parameters and every List* operation)."""

from __future__ import annotations

from functools import partial

import pytest

from eksiam.services import CallContext, IamService
from eksiam.services.iam.errors import InvalidInput, ValidationError


def _all_pages(call, **kwargs) -> tuple[list[str], int]:
    names: list[str] = []
    pages = 0
    marker = None
    while True:
        out = call(**kwargs, **({"marker": marker} if marker else {}))
        pages += 1
        names += [r["RoleName"] for r in out["Roles"]]
        if not out["IsTruncated"]:
            assert "Marker" not in out
            return names, pages
        marker = out["Marker"]


def test_list_roles_pages_cover_everything_once(iam: IamService, ctx: CallContext, make_role) -> None:
    for i in range(23):
        make_role(f"role-{i:02d}")
    names, pages = _all_pages(lambda **kw: iam.list_roles(ctx, **kw), max_items=5)
    assert sorted(names) == [f"role-{i:02d}" for i in range(23)] and len(set(names)) == 23
    assert pages == 5


def test_default_page_is_100(iam: IamService, ctx: CallContext, make_role) -> None:
    for i in range(101):
        make_role(f"r{i:03d}")
    out = iam.list_roles(ctx)
    assert len(out["Roles"]) == 100 and out["IsTruncated"] is True
    rest = iam.list_roles(ctx, marker=out["Marker"])
    assert len(rest["Roles"]) == 1 and rest["IsTruncated"] is False


def test_paging_with_path_filter(iam: IamService, ctx: CallContext, make_role) -> None:
    for i in range(12):
        make_role(f"r{i:02d}", path="/even/" if i % 2 == 0 else "/odd/")
    names, _ = _all_pages(lambda **kw: iam.list_roles(ctx, **kw), max_items=2, path_prefix="/even/")
    assert names == [f"r{i:02d}" for i in range(0, 12, 2)]


@pytest.mark.parametrize("max_items", [0, 1001])
def test_max_items_bounds(iam: IamService, ctx: CallContext, max_items: int) -> None:
    with pytest.raises(ValidationError):
        iam.list_roles(ctx, max_items=max_items)


def test_garbage_marker(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(InvalidInput):
        iam.list_roles(ctx, marker="%%%not-base64%%%")


def test_paged_policies_users_groups(iam: IamService, ctx: CallContext, make_policy) -> None:
    for i in range(7):
        make_policy(f"p{i}")
        iam.create_user(ctx, user_name=f"u{i}")
        iam.create_group(ctx, group_name=f"g{i}")
    for list_call, member, name_field in (
        (partial(iam.list_policies, scope="Local"), "Policies", "PolicyName"),
        (iam.list_users, "Users", "UserName"),
        (iam.list_groups, "Groups", "GroupName"),
    ):
        seen: list[str] = []
        marker = None
        while True:
            out = list_call(ctx, max_items=3, **({"marker": marker} if marker else {}))
            seen += [x[name_field] for x in out[member]]
            if not out["IsTruncated"]:
                break
            marker = out["Marker"]
        assert len(seen) == 7 and len(set(seen)) == 7


def test_list_policies_all_scope_pages_through_aws_then_local(
    iam: IamService, ctx: CallContext, make_policy
) -> None:
    make_policy("zz-local")
    aws_count = len(iam.list_policies(ctx, scope="AWS", max_items=1000)["Policies"])
    assert aws_count > 0
    seen: list[str] = []
    marker = None
    while True:
        out = iam.list_policies(ctx, max_items=7, **({"marker": marker} if marker else {}))
        seen += [p["Arn"] for p in out["Policies"]]
        if not out["IsTruncated"]:
            break
        marker = out["Marker"]
    assert len(seen) == len(set(seen)) == aws_count + 1
    assert seen[-1].endswith(":policy/zz-local")
