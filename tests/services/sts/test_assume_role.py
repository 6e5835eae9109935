"""sts:AssumeRole: trust and identity policies together, and the rules every role session follows."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from tests.services.sts.conftest import ACCOUNT, OTHER_ACCOUNT, START, World, allow, document, trust

from eksiam.services import CallerKind
from eksiam.services.sts import (
    AccessDenied,
    MalformedPolicyDocument,
    PackedPolicyTooLarge,
    ValidationError,
    account_of_key_id,
)

ROOT_TRUST = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})


def test_a_user_allowed_on_both_sides_gets_a_role_session(world: World) -> None:
    role_arn = world.role("deploy", ROOT_TRUST)
    alice = world.user("alice", allow("sts:AssumeRole", role_arn))
    response = world.sts.assume_role(alice, role_arn=role_arn, role_session_name="alice-session")
    creds = response["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"])
    assert account_of_key_id(creds["AccessKeyId"]) == ACCOUNT
    assert len(creds["SecretAccessKey"]) == 40
    assert creds["SessionToken"]
    assert creds["Expiration"] == START + timedelta(hours=1)
    role = world.iam.get_role(world.root(), role_name="deploy")["Role"]
    assert response["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:alice-session",
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/alice-session",
    }
    assert "PackedPolicySize" not in response
    assert "SourceIdentity" not in response


def test_the_new_credentials_sign_as_the_role_session(world: World) -> None:
    role_arn = world.role("deploy", ROOT_TRUST, path="/team/")
    alice = world.user("alice", allow("sts:AssumeRole", role_arn))
    session = world.session(world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1"))
    assert session.caller is not None and session.caller.kind is CallerKind.ASSUMED_ROLE
    identity = world.sts.get_caller_identity(session)
    role_id = world.iam.get_role(world.root(), role_name="deploy")["Role"]["RoleId"]
    # The role path is dropped from the assumed-role ARN.
    assert identity == {
        "UserId": f"{role_id}:s1",
        "Account": ACCOUNT,
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/s1",
    }


def test_trusting_the_account_still_needs_an_identity_policy(world: World) -> None:
    role_arn = world.role("deploy", ROOT_TRUST)
    bob = world.user("bob")
    with pytest.raises(AccessDenied) as err:
        world.sts.assume_role(bob, role_arn=role_arn, role_session_name="s1")
    assert err.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole "
        f"on resource: {role_arn}"
    )
    assert err.value.status == 403


def test_a_trust_policy_naming_the_user_is_enough_in_the_same_account(world: World) -> None:
    carol = world.user("carol")  # IAM refuses a trust policy naming a user that does not exist
    role_arn = world.role("deploy", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/carol"}))
    world.sts.assume_role(carol, role_arn=role_arn, role_session_name="s1")
    dave = world.user("dave")
    with pytest.raises(AccessDenied):
        world.sts.assume_role(dave, role_arn=role_arn, role_session_name="s1")


def test_across_accounts_both_the_trust_and_the_identity_policy_must_allow(world: World) -> None:
    role_arn = world.role("shared", trust({"AWS": ACCOUNT}), account=OTHER_ACCOUNT)
    allowed = world.user("alice", allow("sts:AssumeRole", role_arn))
    session = world.session(world.sts.assume_role(allowed, role_arn=role_arn, role_session_name="x1"))
    assert world.sts.get_caller_identity(session)["Account"] == OTHER_ACCOUNT
    not_allowed = world.user("bob")
    with pytest.raises(AccessDenied):
        world.sts.assume_role(not_allowed, role_arn=role_arn, role_session_name="x1")
    other_role = world.role("closed", trust({"AWS": "arn:aws:iam::111111111111:root"}), account=OTHER_ACCOUNT)
    with pytest.raises(AccessDenied):
        world.sts.assume_role(allowed, role_arn=other_role, role_session_name="x1")


def test_an_explicit_deny_in_the_identity_policy_wins(world: World) -> None:
    erin = world.user("erin", {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"})
    role_arn = world.role("deploy", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/erin"}))
    with pytest.raises(AccessDenied):
        world.sts.assume_role(erin, role_arn=role_arn, role_session_name="s1")


@pytest.mark.parametrize("suffix", ["role/missing", "role/wrong/path/deploy", "user/deploy"])
def test_a_role_that_is_not_there_looks_like_a_refusal(world: World, suffix: str) -> None:
    world.role("deploy", ROOT_TRUST)
    alice = world.user("alice", allow("sts:AssumeRole"))
    arn = f"arn:aws:iam::{ACCOUNT}:{suffix}"
    with pytest.raises(AccessDenied) as err:
        world.sts.assume_role(alice, role_arn=arn, role_session_name="s1")
    assert err.value.message.endswith(f"sts:AssumeRole on resource: {arn}")


def test_external_id_must_match_the_trust_condition(world: World) -> None:
    role_arn = world.role(
        "vendor", trust({"AWS": ACCOUNT}, Condition={"StringEquals": {"sts:ExternalId": "abc-123"}})
    )
    alice = world.user("alice", allow("sts:AssumeRole"))
    for external_id in (None, "wrong-id"):
        with pytest.raises(AccessDenied):
            world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1", external_id=external_id)
    world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1", external_id="abc-123")


def test_any_principal_with_a_condition_on_the_caller_account(world: World) -> None:
    role_arn = world.role(
        "open", trust({"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})
    )
    alice = world.user("alice", allow("sts:AssumeRole"))
    world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1")
    stranger = world.user("mallory", allow("sts:AssumeRole"), account=OTHER_ACCOUNT)
    with pytest.raises(AccessDenied):
        world.sts.assume_role(stranger, role_arn=role_arn, role_session_name="s1")


def test_role_chaining_from_a_trusted_role_and_its_one_hour_cap(world: World) -> None:
    first = world.role("first", ROOT_TRUST, permissions=[allow("sts:AssumeRole")], max_session_duration=43200)
    second = world.role("second", trust({"AWS": first}), max_session_duration=43200)
    alice = world.user("alice", allow("sts:AssumeRole"))
    hop = world.session(world.sts.assume_role(alice, role_arn=first, role_session_name="hop"))
    with pytest.raises(ValidationError) as err:
        world.sts.assume_role(hop, role_arn=second, role_session_name="next", duration_seconds=3601)
    assert err.value.message == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    )
    chained = world.sts.assume_role(hop, role_arn=second, role_session_name="next", duration_seconds=3600)
    assert chained["AssumedRoleUser"]["Arn"].endswith(":assumed-role/second/next")


def test_duration_is_bounded_by_the_role_maximum(world: World) -> None:
    role_arn = world.role("deploy", ROOT_TRUST, max_session_duration=7200)
    alice = world.user("alice", allow("sts:AssumeRole"))
    with pytest.raises(ValidationError) as err:
        world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1", duration_seconds=7201)
    assert (
        err.value.message == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    )
    with pytest.raises(ValidationError):
        world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1", duration_seconds=899)
    ok = world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1", duration_seconds=7200)
    assert ok["Credentials"]["Expiration"] == START + timedelta(seconds=7200)


@pytest.mark.parametrize("name", ["a", "x" * 65, "has space", "semi;colon", ""])
def test_session_names_follow_the_pattern(world: World, name: str) -> None:
    role_arn = world.role("deploy", ROOT_TRUST)
    alice = world.user("alice", allow("sts:AssumeRole"))
    with pytest.raises(ValidationError):
        world.sts.assume_role(alice, role_arn=role_arn, role_session_name=name)


def test_session_tags_need_tag_session_in_the_trust_policy(world: World) -> None:
    plain = world.role("plain", ROOT_TRUST)
    tagging = world.role("tagging", trust({"AWS": ACCOUNT}, ["sts:AssumeRole", "sts:TagSession"]))
    alice = world.user("alice", allow(["sts:AssumeRole", "sts:TagSession"]))
    tags = [{"Key": "team", "Value": "blue"}]
    with pytest.raises(AccessDenied) as err:
        world.sts.assume_role(alice, role_arn=plain, role_session_name="s1", tags=tags)
    assert "sts:TagSession" in err.value.message
    response = world.sts.assume_role(alice, role_arn=tagging, role_session_name="s1", tags=tags)
    assert 0 < response["PackedPolicySize"] <= 100
    session = world.session(response)
    assert session.caller is not None and session.caller.session is not None
    assert session.caller.session["Tags"] == tags


def test_transitive_tags_follow_the_chain_and_cannot_be_overridden(world: World) -> None:
    both = ["sts:AssumeRole", "sts:TagSession"]
    first = world.role("first", trust({"AWS": ACCOUNT}, both), permissions=[allow(both)])
    second = world.role("second", trust({"AWS": first}, both))
    alice = world.user("alice", allow(both))
    hop = world.session(
        world.sts.assume_role(
            alice,
            role_arn=first,
            role_session_name="hop",
            tags=[{"Key": "Project", "Value": "apollo"}, {"Key": "temp", "Value": "1"}],
            transitive_tag_keys=["Project"],
        )
    )
    nxt = world.session(world.sts.assume_role(hop, role_arn=second, role_session_name="next"))
    assert nxt.caller is not None and nxt.caller.session is not None
    assert nxt.caller.session["Tags"] == [{"Key": "Project", "Value": "apollo"}]
    with pytest.raises(ValidationError):
        world.sts.assume_role(
            hop, role_arn=second, role_session_name="next", tags=[{"Key": "project", "Value": "other"}]
        )


@pytest.mark.parametrize(
    ("tags", "transitive"),
    [
        ([{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}], []),
        ([{"Key": "a", "Value": "1"}], ["b"]),
        ([{"Key": "aws:reserved", "Value": "1"}], []),
        ([{"Key": "k" * 129, "Value": "1"}], []),
        ([{"Key": f"k{i}", "Value": "v"} for i in range(51)], []),
    ],
)
def test_invalid_session_tags_are_refused(
    world: World, tags: list[dict[str, str]], transitive: list[str]
) -> None:
    role_arn = world.role("tagging", trust({"AWS": ACCOUNT}, ["sts:AssumeRole", "sts:TagSession"]))
    alice = world.user("alice", allow(["sts:AssumeRole", "sts:TagSession"]))
    with pytest.raises(ValidationError):
        world.sts.assume_role(
            alice, role_arn=role_arn, role_session_name="s1", tags=tags, transitive_tag_keys=transitive
        )


def test_session_tags_too_large_to_pack_are_refused(world: World) -> None:
    role_arn = world.role("tagging", trust({"AWS": ACCOUNT}, ["sts:AssumeRole", "sts:TagSession"]))
    alice = world.user("alice", allow(["sts:AssumeRole", "sts:TagSession"]))
    tags = [{"Key": secrets.token_hex(60), "Value": secrets.token_hex(120)} for _ in range(50)]
    with pytest.raises(PackedPolicyTooLarge) as err:
        world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1", tags=tags)
    assert re.fullmatch(r"Packed size of session tags consumes \d+% of allotted space\.", err.value.message)


def test_a_session_policy_narrows_the_role_permissions(world: World) -> None:
    role_arn = world.role("deploy", ROOT_TRUST, permissions=[allow(["iam:GetRole", "iam:ListRoles"])])
    alice = world.user("alice", allow("sts:AssumeRole"))
    response = world.sts.assume_role(
        alice,
        role_arn=role_arn,
        role_session_name="s1",
        policy=document(allow(["iam:ListRoles", "iam:GetUser"])),
    )
    assert 0 < response["PackedPolicySize"] < 100
    session = world.session(response)
    authorizer = world.sts.authorizer
    assert authorizer.decide(session, "iam:ListRoles", "*").allowed
    assert not authorizer.decide(session, "iam:GetRole", role_arn).allowed  # not in the session policy
    assert not authorizer.decide(session, "iam:GetUser", "*").allowed  # not in the role's policy
    plain = world.session(world.sts.assume_role(alice, role_arn=role_arn, role_session_name="p1"))
    assert authorizer.decide(plain, "iam:GetRole", role_arn).allowed


def test_a_malformed_session_policy_is_refused_before_anything_else(world: World) -> None:
    alice = world.user("alice")
    with pytest.raises(MalformedPolicyDocument):
        world.sts.assume_role(
            alice,
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/nope",
            role_session_name="s1",
            policy='{"Version": 1',
        )


def test_source_identity_needs_permission_and_sticks_to_the_chain(world: World) -> None:
    actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]
    first = world.role("first", trust({"AWS": ACCOUNT}, actions), permissions=[allow(actions)])
    second = world.role("second", trust({"AWS": first}, actions))
    no_source = world.role("plain", ROOT_TRUST)
    alice = world.user("alice", allow(actions))
    with pytest.raises(AccessDenied):
        world.sts.assume_role(alice, role_arn=no_source, role_session_name="s1", source_identity="alice")
    response = world.sts.assume_role(alice, role_arn=first, role_session_name="s1", source_identity="alice")
    assert response["SourceIdentity"] == "alice"
    hop = world.session(response)
    chained = world.sts.assume_role(hop, role_arn=second, role_session_name="n1")
    assert chained["SourceIdentity"] == "alice"
    with pytest.raises(ValidationError):
        world.sts.assume_role(hop, role_arn=second, role_session_name="n1", source_identity="bob")


def test_a_service_principal_session_for_pod_identity(world: World) -> None:
    role_arn = world.role(
        "pods", trust({"Service": "pods.eks.amazonaws.com"}, ["sts:AssumeRole", "sts:TagSession"])
    )
    ec2_only = world.role("ec2", trust({"Service": "ec2.amazonaws.com"}))
    ctx = world.root()
    tags = [{"Key": "kubernetes-namespace", "Value": "apps"}]
    response = world.sts.assume_role_as_service(
        ctx,
        service_principal="pods.eks.amazonaws.com",
        role_arn=role_arn,
        role_session_name="eks-demo-web-0",
        tags=tags,
        transitive_tag_keys=["kubernetes-namespace"],
    )
    session = world.session(response)
    assert session.caller is not None and session.caller.session is not None
    assert session.caller.session["Tags"] == tags
    with pytest.raises(AccessDenied):
        world.sts.assume_role_as_service(
            ctx, service_principal="pods.eks.amazonaws.com", role_arn=ec2_only, role_session_name="x1"
        )


def test_mfa_parameters_cannot_be_satisfied(world: World) -> None:
    role_arn = world.role("deploy", ROOT_TRUST)
    alice = world.user("alice", allow("sts:AssumeRole"))
    with pytest.raises(AccessDenied):
        world.sts.assume_role(
            alice,
            role_arn=role_arn,
            role_session_name="s1",
            serial_number="arn:aws:iam::123456789012:mfa/alice",
            token_code="123456",
        )


def test_root_credentials_cannot_assume_roles(world: World) -> None:
    role_arn = world.role("deploy", ROOT_TRUST)
    with pytest.raises(AccessDenied) as err:
        world.sts.assume_role(world.root(), role_arn=role_arn, role_session_name="s1")
    assert err.value.message == "Roles may not be assumed by root accounts."


def test_a_trust_policy_may_name_one_role_session(world: World) -> None:
    first = world.role("first", ROOT_TRUST, permissions=[allow("sts:AssumeRole")])
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/first/trusted"
    second = world.role("second", trust({"AWS": session_arn}))
    alice = world.user("alice", allow("sts:AssumeRole"))
    trusted = world.session(world.sts.assume_role(alice, role_arn=first, role_session_name="trusted"))
    world.sts.assume_role(trusted, role_arn=second, role_session_name="next")
    other = world.session(world.sts.assume_role(alice, role_arn=first, role_session_name="other"))
    with pytest.raises(AccessDenied):
        world.sts.assume_role(other, role_arn=second, role_session_name="next")
