"""Property: for any set of names, path filter and MaxItems, walking ListRoles by Marker returns
every matching role exactly once, in a stable order, and only the last page says IsTruncated false."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eksiam.services import CallContext, IamService

from .conftest import trust_policy

names = st.sets(st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,12}", fullmatch=True), min_size=0, max_size=25)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=names, max_items=st.integers(min_value=1, max_value=7), use_filter=st.booleans())
def test_marker_walk_returns_each_matching_role_once(
    iam: IamService, ctx: CallContext, chosen: set[str], max_items: int, use_filter: bool
) -> None:
    created: dict[str, str] = {}
    for i, name in enumerate(sorted(chosen)):
        path = "/even/" if i % 2 == 0 else "/odd/"
        try:
            iam.create_role(ctx, role_name=name, path=path, assume_role_policy_document=trust_policy())
            created[name] = path
        except Exception as exc:  # a case-insensitive duplicate of an earlier name
            assert getattr(exc, "code", "") == "EntityAlreadyExists"
    try:
        wanted = {n for n, p in created.items() if not use_filter or p == "/even/"}
        seen: list[str] = []
        marker = None
        while True:
            kwargs = {"max_items": max_items, **({"path_prefix": "/even/"} if use_filter else {})}
            out = iam.list_roles(ctx, **kwargs, **({"marker": marker} if marker else {}))
            assert len(out["Roles"]) <= max_items
            seen += [r["RoleName"] for r in out["Roles"]]
            if not out["IsTruncated"]:
                assert "Marker" not in out
                break
            marker = out["Marker"]
        assert sorted(seen) == sorted(wanted) and len(seen) == len(set(seen))
    finally:
        for name in created:
            iam.delete_role(ctx, role_name=name)
