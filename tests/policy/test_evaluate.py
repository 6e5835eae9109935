"""The decision algorithm. Sources: IAM User Guide "Policy evaluation logic"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html),
"Cross-account policy evaluation logic"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html),
"Permissions boundaries for IAM entities"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html) and "Session policies"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session)."""

from __future__ import annotations

from policy_builders import ACCOUNT, ALICE, OTHER_ACCOUNT, allow, decide, deny, policy

from eksiam.policy import DecisionKind, Policy, PolicyKind

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket/key"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
OUTSIDER = f"arn:aws:iam::{OTHER_ACCOUNT}:user/olivia"


def resource_policy(principal: object, effect: str = "Allow") -> Policy:
    statement = {"Effect": effect, "Principal": principal, "Action": "s3:GetObject", "Resource": BUCKET}
    return policy(statement, kind=PolicyKind.RESOURCE, name="bucket")


def test_no_policy_is_implicit_deny_naming_identity() -> None:
    decision = decide()
    assert decision.kind is DecisionKind.IMPLICIT_DENY
    assert decision.missing == (PolicyKind.IDENTITY,)


def test_explicit_deny_beats_allow_in_other_policy() -> None:
    decision = decide([allow(action="s3:*")], session=[policy(deny(), kind=PolicyKind.SESSION)])
    assert decision.kind is DecisionKind.EXPLICIT_DENY
    assert [m.policy_kind for m in decision.matched] == [PolicyKind.SESSION]


def test_allow_names_the_deciding_statement() -> None:
    decision = decide([allow(Sid="ReadIt")])
    assert decision.allowed
    assert [(m.sid, m.policy_kind, m.effect) for m in decision.matched] == [
        ("ReadIt", PolicyKind.IDENTITY, "Allow")
    ]


def test_not_action_applies_to_every_other_action() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert decide([statement]).allowed
    assert not decide([statement], action="iam:CreateUser").allowed


def test_not_resource_applies_to_every_other_resource() -> None:
    statement = {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}
    assert decide([allow(), statement]).allowed
    assert decide([allow(), statement], resource="arn:aws:s3:::other/x").kind is DecisionKind.EXPLICIT_DENY


def test_boundary_without_allow_limits_identity_allow() -> None:
    boundary = policy(allow(action="ec2:*"), kind=PolicyKind.BOUNDARY)
    decision = decide([allow()], boundary=boundary)
    assert decision.kind is DecisionKind.IMPLICIT_DENY
    assert decision.missing == (PolicyKind.BOUNDARY,)


def test_boundary_alone_grants_nothing() -> None:
    decision = decide(boundary=policy(allow(), kind=PolicyKind.BOUNDARY))
    assert decision.missing == (PolicyKind.IDENTITY,)


def test_session_policy_limits_role_session() -> None:
    session = [policy(allow(action="s3:PutObject"), kind=PolicyKind.SESSION)]
    decision = decide([allow()], principal=SESSION, session=session)
    assert decision.missing == (PolicyKind.SESSION,)
    assert decide([allow()], principal=SESSION, session=[policy(allow(), kind=PolicyKind.SESSION)]).allowed


def test_same_account_resource_policy_naming_user_is_enough() -> None:
    assert decide(resource_policy=resource_policy({"AWS": ALICE})).allowed


def test_same_account_resource_policy_naming_user_ignores_boundary() -> None:
    # "an implicit deny in a permissions boundary does not limit permissions granted to an IAM user
    # by a resource-based policy" within the same account.
    boundary = policy(allow(action="ec2:*"), kind=PolicyKind.BOUNDARY)
    assert decide(resource_policy=resource_policy({"AWS": ALICE}), boundary=boundary).allowed


def test_resource_policy_naming_role_arn_is_limited_by_boundary() -> None:
    boundary = policy(allow(action="ec2:*"), kind=PolicyKind.BOUNDARY)
    granted = resource_policy({"AWS": ROLE})
    assert decide(principal=SESSION, resource_policy=granted).allowed
    decision = decide(principal=SESSION, resource_policy=granted, boundary=boundary)
    assert decision.missing == (PolicyKind.BOUNDARY,)


def test_resource_policy_naming_session_arn_is_not_limited_by_session_policy() -> None:
    session = [policy(allow(action="ec2:*"), kind=PolicyKind.SESSION)]
    assert decide(
        principal=SESSION, resource_policy=resource_policy({"AWS": SESSION}), session=session
    ).allowed
    denied = decide(principal=SESSION, resource_policy=resource_policy({"AWS": ROLE}), session=session)
    assert denied.missing == (PolicyKind.SESSION,)


def test_account_principal_in_same_account_delegates_to_identity_policies() -> None:
    granted = resource_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    assert decide(resource_policy=granted).kind is DecisionKind.IMPLICIT_DENY
    assert decide([allow()], resource_policy=granted).allowed


def test_cross_account_needs_both_sides() -> None:
    granted = resource_policy({"AWS": OTHER_ACCOUNT})
    only_identity = decide([allow()], principal=OUTSIDER, resource_account=ACCOUNT)
    assert only_identity.missing == (PolicyKind.RESOURCE,)
    only_resource = decide(principal=OUTSIDER, resource_account=ACCOUNT, resource_policy=granted)
    assert only_resource.missing == (PolicyKind.IDENTITY,)
    assert decide([allow()], principal=OUTSIDER, resource_account=ACCOUNT, resource_policy=granted).allowed


def test_resource_policy_deny_applies_to_named_principal_only() -> None:
    denied = resource_policy({"AWS": ALICE}, effect="Deny")
    assert decide([allow()], resource_policy=denied).kind is DecisionKind.EXPLICIT_DENY
    other = resource_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}, effect="Deny")
    assert decide([allow()], resource_policy=other).allowed


def test_scp_level_without_allow_denies_and_root_first_order_is_kept() -> None:
    full = policy(allow(action="*"), kind=PolicyKind.SCP)
    narrow = policy(allow(action="ec2:*"), kind=PolicyKind.SCP)
    assert decide([allow()], scps=[[full], [full]]).allowed
    decision = decide([allow()], scps=[[full], [narrow]])
    assert decision.missing == (PolicyKind.SCP,)


def test_scp_does_not_grant_by_itself() -> None:
    assert not decide(scps=[[policy(allow(action="*"), kind=PolicyKind.SCP)]]).allowed


def test_scp_deny_stops_the_root_user() -> None:
    root = f"arn:aws:iam::{ACCOUNT}:root"
    assert decide(principal=root).allowed
    scp = policy(allow(action="*"), deny(), kind=PolicyKind.SCP)
    assert decide(principal=root, scps=[[scp]]).kind is DecisionKind.EXPLICIT_DENY


def test_rcp_level_without_allow_denies() -> None:
    rcp = {"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "*"}
    decision = decide([allow()], rcps=[[policy(rcp, kind=PolicyKind.RCP)]])
    assert decision.missing == (PolicyKind.RCP,)


def test_service_principal_needs_resource_policy() -> None:
    service = "ec2.amazonaws.com"
    assert not decide(principal=service).allowed
    assert decide(principal=service, resource_policy=resource_policy({"Service": service})).allowed


def test_trust_policy_must_allow_even_within_the_account() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/target"
    trust_statement = {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
    trust = policy(trust_statement, kind=PolicyKind.TRUST)
    assume = allow(action="sts:AssumeRole", resource=role)
    no_trust = decide([assume], action="sts:AssumeRole", resource=role)
    assert no_trust.allowed  # without a trust policy given, only the identity side is evaluated
    assert decide([assume], action="sts:AssumeRole", resource=role, resource_policy=trust).allowed
    assert not decide(action="sts:AssumeRole", resource=role, resource_policy=trust).allowed


def test_web_identity_is_allowed_by_trust_policy_conditions() -> None:
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
    key = "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {key: "system:serviceaccount:default:app"}},
    }
    trust = policy(statement, kind=PolicyKind.TRUST)
    role = f"arn:aws:iam::{ACCOUNT}:role/irsa"
    good = {key: "system:serviceaccount:default:app"}
    bad = {key: "system:serviceaccount:default:other"}
    common = {"principal": provider, "action": "sts:AssumeRoleWithWebIdentity", "resource": role}
    assert decide(resource_policy=trust, context=good, **common).allowed
    denied = decide(resource_policy=trust, context=bad, **common)
    assert denied.missing == (PolicyKind.TRUST,)


def test_implicit_deny_reports_condition_keys_missing_from_the_request() -> None:
    statement = allow(Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})
    decision = decide([statement])
    assert decision.missing_context_keys == ("aws:RequestedRegion",)
    assert decision.to_dict()["decision"] == "ImplicitDeny"


def test_kms_key_policy_must_allow_like_a_trust_policy() -> None:
    # AWS KMS Developer Guide, "Key policies in AWS KMS"
    # (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html): "Unless the key policy
    # explicitly allows it, you cannot use IAM policies to allow access to a KMS key."
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    admins = {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:*", "Resource": "*"}
    delegate = {**admins, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
    identity = [allow(action="kms:Decrypt")]
    common = {"action": "kms:Decrypt", "resource": key}
    without = decide(identity, resource_policy=policy(admins, kind=PolicyKind.RESOURCE), **common)
    assert without.missing == (PolicyKind.RESOURCE,)
    assert decide(identity, resource_policy=policy(delegate, kind=PolicyKind.RESOURCE), **common).allowed


def test_scps_and_rcps_do_not_affect_service_linked_roles() -> None:
    slr = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSServiceRoleForAmazonEKS/EKS"
    narrow_scp = policy(allow(action="iam:*"), kind=PolicyKind.SCP)
    rcp = {"Effect": "Allow", "Principal": "*", "Action": "iam:*", "Resource": "*"}
    narrow_rcp = policy(rcp, kind=PolicyKind.RCP)
    assert decide([allow()], principal=slr, scps=[[narrow_scp]], rcps=[[narrow_rcp]]).allowed
    assert not decide([allow()], principal=SESSION, scps=[[narrow_scp]]).allowed
