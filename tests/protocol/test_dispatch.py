"""Dispatch finds methods by xform_name and refuses service methods that drifted from the model."""

from __future__ import annotations

from typing import Any

import pytest

from eksiam.protocol import AwsEndpoint, DispatchDrift, drift, service_model


class Drifted:
    def get_role(self, ctx: object, *, role: str) -> dict[str, Any]:  # member is RoleName
        return {}

    def list_roles(
        self, ctx: object, *, path_prefix: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:  # optional member without default
        return {}

    def delete_role(self, *, ctx: object, role_name: str) -> None:  # ctx must be positional
        return None

    def create_user(
        self,
        ctx: object,
        *,
        user_name: str,
        path: str | None = None,
        permissions_boundary: str | None = None,
        tags: list[Any] | None = None,
        color: str = "red",
    ) -> dict[str, Any]:  # extra parameter
        return {}

    def helper_that_is_not_an_operation(self) -> None:
        return None


def test_drift_names_every_mismatch() -> None:
    problems = drift({"iam": Drifted()}, {"iam": service_model("iam")})
    text = "\n".join(problems)
    assert "iam:GetRole" in text and "no parameter 'role_name' for member RoleName" in text
    assert "parameter 'role' is not a member of GetRole's input" in text
    assert "optional member PathPrefix needs a default for 'path_prefix'" in text
    assert "iam:DeleteRole" in text and "first parameter must be the call context" in text
    assert "parameter 'color' has no member in the model" in text
    assert len(problems) == 5


def test_endpoint_refuses_to_start_on_drift() -> None:
    with pytest.raises(DispatchDrift, match="GetRole"):
        AwsEndpoint({"iam": Drifted()}, lambda request, routed: None)


def test_unknown_service_name_is_refused() -> None:
    with pytest.raises(ValueError, match="s3"):
        AwsEndpoint({"s3": object()}, lambda request, routed: None)


def test_keyword_catch_all_accepts_any_members() -> None:
    class Loose:
        def create_cluster(self, ctx: object, **params: Any) -> dict[str, Any]:
            return {}

    assert drift({"eks": Loose()}, {"eks": service_model("eks")}) == []


@pytest.mark.parametrize(
    ("attribute", "service"),
    [("IamService", "iam"), ("StsService", "sts"), ("EksService", "eks"), ("EksAuthService", "eks-auth")],
)
def test_real_service_classes_match_the_models(attribute: str, service: str) -> None:
    services = pytest.importorskip(
        "eksiam.services", reason="eksiam.services does not import", exc_type=ImportError
    )
    cls = getattr(services, attribute, None)
    if cls is None:
        pytest.skip(f"eksiam.services has no {attribute} yet")
    assert drift({service: cls.__new__(cls)}, {service: service_model(service)}) == []
