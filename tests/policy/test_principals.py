"""Principals: IAM User Guide, "AWS JSON policy elements: Principal"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html) and
"AWS JSON policy elements: NotPrincipal"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)."""

from __future__ import annotations

import pytest

from eksiam.policy.document import PrincipalBlock
from eksiam.policy.principals import (
    Grant,
    PrincipalKind,
    describe_principal,
    not_principal_applies,
    principal_grant,
)

ALICE = "arn:aws:iam::111122223333:user/alice"
SESSION = "arn:aws:sts::111122223333:assumed-role/app/s1"


def block(*entries: tuple[str, str]) -> PrincipalBlock:
    return PrincipalBlock(False, entries)


@pytest.mark.parametrize(
    ("text", "kind", "account"),
    [
        (ALICE, PrincipalKind.USER, "111122223333"),
        ("arn:aws:iam::111122223333:user/path/to/bob", PrincipalKind.USER, "111122223333"),
        ("arn:aws:iam::111122223333:root", PrincipalKind.ROOT, "111122223333"),
        (SESSION, PrincipalKind.ROLE_SESSION, "111122223333"),
        ("arn:aws:sts::111122223333:federated-user/fed", PrincipalKind.FEDERATED_USER, "111122223333"),
        (
            "arn:aws:iam::111122223333:oidc-provider/oidc.example.com",
            PrincipalKind.WEB_IDENTITY,
            "111122223333",
        ),
        ("arn:aws:iam::111122223333:saml-provider/corp", PrincipalKind.SAML, "111122223333"),
        ("ec2.amazonaws.com", PrincipalKind.SERVICE, None),
        ("cognito-identity.amazonaws.com", PrincipalKind.WEB_IDENTITY, None),
        ("*", PrincipalKind.ANONYMOUS, None),
    ],
)
def test_principals_are_classified_from_their_arn(
    text: str, kind: PrincipalKind, account: str | None
) -> None:
    info = describe_principal(text)
    assert (info.kind, info.account) == (kind, account)


def test_session_reports_its_role_arn() -> None:
    assert describe_principal(SESSION).principal_arn == "arn:aws:iam::111122223333:role/app"


def test_account_principal_in_both_spellings_delegates() -> None:
    info = describe_principal(ALICE)
    assert principal_grant(block(("AWS", "111122223333")), info) is Grant.ACCOUNT
    assert principal_grant(block(("AWS", "arn:aws:iam::111122223333:root")), info) is Grant.ACCOUNT
    assert principal_grant(block(("AWS", "444455556666")), info) is Grant.NONE


def test_role_arn_covers_its_sessions_whatever_the_path() -> None:
    info = describe_principal(SESSION)
    assert principal_grant(block(("AWS", "arn:aws:iam::111122223333:role/team/app")), info) is Grant.ROLE
    assert principal_grant(block(("AWS", SESSION)), info) is Grant.DIRECT
    assert principal_grant(block(("AWS", "arn:aws:iam::111122223333:role/other")), info) is Grant.NONE


def test_wildcard_principal_names_everyone() -> None:
    assert principal_grant(PrincipalBlock(True, ()), describe_principal("ec2.amazonaws.com")) is Grant.DIRECT


def test_service_principal_matches_only_service_entries() -> None:
    info = describe_principal("ec2.amazonaws.com")
    assert principal_grant(block(("Service", "ec2.amazonaws.com")), info) is Grant.DIRECT
    assert principal_grant(block(("AWS", "ec2.amazonaws.com")), info) is Grant.NONE


def test_deny_with_not_principal_spares_only_a_fully_listed_caller() -> None:
    info = describe_principal(ALICE)
    user_only = block(("AWS", ALICE))
    with_account = block(("AWS", ALICE), ("AWS", "111122223333"))
    assert not_principal_applies(user_only, info, deny=True, bounded=False)
    assert not not_principal_applies(with_account, info, deny=True, bounded=False)


def test_deny_with_not_principal_always_applies_to_a_bounded_caller() -> None:
    # "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
    # permissions boundary policy attached" (access_policies_boundaries.html).
    with_account = block(("AWS", ALICE), ("AWS", "111122223333"))
    assert not_principal_applies(with_account, describe_principal(ALICE), deny=True, bounded=True)


def test_allow_with_not_principal_excludes_a_listed_caller() -> None:
    info = describe_principal(ALICE)
    assert not not_principal_applies(block(("AWS", ALICE)), info, deny=False, bounded=False)
    assert not_principal_applies(block(("AWS", "arn:aws:iam::111122223333:user/bob")), info, False, False)


def test_service_linked_roles_are_recognised_by_path_and_name() -> None:
    role = "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"
    assert describe_principal(role).service_linked
    assert describe_principal(
        "arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAmazonEKS/x"
    ).service_linked
    assert not describe_principal(SESSION).service_linked
    assert not describe_principal("arn:aws:iam::111122223333:role/app").service_linked
