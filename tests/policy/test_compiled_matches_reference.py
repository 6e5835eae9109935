"""The compiled, indexed evaluator and the reference interpreter decide identically.

Both follow the same documented rules (wildcards.py, variables.py, operators/__init__.py,
evaluate.py); this property test draws policies and requests from a vocabulary dense in the cases
where the two implementations differ most: wildcards in every ARN segment, variables with and without
defaults, escapes, NotAction/NotResource, negated and set operators, principals of every kind.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eksiam.policy import PolicyKind, PolicySet, Request, allowed, evaluate, parse_policy
from eksiam.policy.evaluate import evaluate_reference

ACCOUNTS = ["111122223333", "444455556666"]
PRINCIPALS = [
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/team/bob",
    "arn:aws:iam::444455556666:user/olivia",
    "arn:aws:sts::111122223333:assumed-role/app/s1",
    "arn:aws:iam::111122223333:root",
    "ec2.amazonaws.com",
    "arn:aws:iam::111122223333:oidc-provider/oidc.example.com",
    "cognito-identity.amazonaws.com",
]
# Principal element entries by type (the request principals above, and texts that look like them)
ENTRIES = {
    "AWS": PRINCIPALS[:5] + ["111122223333", "*"],
    "Service": ["ec2.amazonaws.com", "EC2.Amazonaws.com", "lambda.amazonaws.com"],
    "Federated": [
        "arn:aws:iam::111122223333:oidc-provider/oidc.example.com",
        "arn:aws:iam::111122223333:oidc-provider/OIDC.example.com",
        "cognito-identity.amazonaws.com",
        "accounts.google.com",
        "arn:aws:iam::111122223333:user/alice",  # an IAM principal's text under the wrong type
    ],
    "CanonicalUser": ["79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"],
}
ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "ec2:RunInstances",
    "iam:PassRole",
    "sts:AssumeRole",
]
ACTION_PATTERNS = [
    "*",
    "s3:*",
    "s3:Get*",
    "s3:?etObject",
    "S3:getobject",
    "ec2:*Instances",
    "*:PassRole",
    "iam:*",
]
RESOURCES = [
    "arn:aws:s3:::bucket/home/alice/a.txt",
    "arn:aws:s3:::bucket/home/bob/b.txt",
    "arn:aws:s3:::bucket/*",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:ec2:us-east:1:111122223333:instance/i-1",
    "arn:aws:S3:::bucket/home/alice/a.txt",
    "*",
]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket/home/${aws:username}/*",
    "arn:aws:s3:::bucket/home/${aws:PrincipalTag/team, 'bob'}/*",
    "arn:aws:s3:::bucket/${*}",
    "arn:aws:s3:*",
    "arn:aws:ec2:us-*-1:*:instance/*",
    "arn:aws:ec2:us*1:*:instance/*",
    "arn:aws:iam::*:role/a?p",
    "arn:aws:s3:::bucket/home/?lice/*",
]
KEYS = [
    "aws:username",
    "aws:PrincipalTag/team",
    "aws:TagKeys",
    "aws:SourceIp",
    "aws:CurrentTime",
    "s3:max-keys",
]
CONDITIONS: list[tuple[str, list[str]]] = [
    ("StringEquals", ["alice", "${aws:username}"]),
    ("StringNotEquals", ["bob", "${aws:PrincipalTag/team}"]),
    ("StringLike", ["a*", "${aws:username}*", "b?b"]),
    ("StringNotLikeIfExists", ["x*"]),
    ("StringEqualsIgnoreCase", ["ALICE"]),
    ("ForAllValues:StringEquals", ["env", "owner"]),
    ("ForAnyValue:StringLike", ["e*"]),
    ("ForAnyValue:StringNotEquals", ["env"]),
    ("IpAddress", ["10.0.0.0/8", "2001:db8::/32"]),
    ("NotIpAddress", ["192.0.2.0/24"]),
    ("DateGreaterThan", ["2020-01-01T00:00:00Z", "1600000000"]),
    ("NumericLessThanEquals", ["10", "2.5"]),
    ("Bool", ["true"]),
    ("Null", ["true", "false"]),
    ("ArnLike", ["arn:aws:iam::*:user/*"]),
]
CONTEXT_VALUES = {
    "aws:PrincipalTag/team": [["bob"], ["alice"], []],
    "aws:TagKeys": [["env"], ["env", "cost"], [], ["owner", "env"]],
    "aws:SourceIp": [["10.1.2.3"], ["192.0.2.9"], ["2001:db8::1"], ["not-an-ip"]],
    "aws:CurrentTime": [["2021-01-01T00:00:00Z"], ["1500000000"]],
    "s3:max-keys": [["5"], ["11"], ["ten"]],
    "aws:SecureTransport": [["true"], ["false"]],
}


def _one_or_list(values: list[str]) -> Any:
    return values[0] if len(values) == 1 else values


@st.composite
def statements(draw: st.DrawFn, principal_needed: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    action_key = draw(st.sampled_from(["Action", "NotAction"]))
    statement[action_key] = _one_or_list(
        draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    )
    resource_key = draw(st.sampled_from(["Resource", "Resource", "NotResource"]))
    statement[resource_key] = _one_or_list(
        draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3))
    )
    if principal_needed:
        kinds = draw(st.lists(st.sampled_from(sorted(ENTRIES)), min_size=1, max_size=3, unique=True))
        block: Any = {
            kind: _one_or_list(draw(st.lists(st.sampled_from(ENTRIES[kind]), min_size=1, max_size=3)))
            for kind in kinds
        }
        principal_key = draw(st.sampled_from(["Principal", "Principal", "NotPrincipal"]))
        statement[principal_key] = "*" if draw(st.integers(0, 9)) == 0 else block
    conditions: dict[str, dict[str, Any]] = {}
    for operator, values in draw(st.lists(st.sampled_from(CONDITIONS), max_size=3)):
        key = draw(st.sampled_from(KEYS))
        chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2))
        conditions.setdefault(operator, {})[key] = _one_or_list(chosen)
    if conditions:
        statement["Condition"] = conditions
    return statement


def documents(principal_needed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda version, body: {"Version": version, "Statement": body},
        st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17"]),
        st.lists(statements(principal_needed), min_size=1, max_size=4),
    )


@st.composite
def requests(draw: st.DrawFn) -> Request:
    context = {
        key: draw(st.sampled_from(options)) for key, options in CONTEXT_VALUES.items() if draw(st.booleans())
    }
    return Request(
        principal=draw(st.sampled_from(PRINCIPALS)),
        action=draw(st.sampled_from(ACTIONS)),
        resource=draw(st.sampled_from(RESOURCES)),
        resource_account=draw(st.sampled_from([None, *ACCOUNTS])),
        context=context,
    )


@settings(max_examples=200, deadline=None)
@given(
    identity=st.lists(documents(), max_size=3),
    boundary=st.none() | documents(),
    session=st.lists(documents(), max_size=1),
    resource=st.none() | documents(principal_needed=True),
    scps=st.lists(st.lists(documents(), min_size=1, max_size=2), max_size=2),
    rcps=st.lists(st.lists(documents(principal_needed=True), min_size=1, max_size=2), max_size=1),
    request=requests(),
)
def test_compiled_evaluation_equals_reference(
    identity: list[dict[str, Any]],
    boundary: dict[str, Any] | None,
    session: list[dict[str, Any]],
    resource: dict[str, Any] | None,
    scps: list[list[dict[str, Any]]],
    rcps: list[list[dict[str, Any]]],
    request: Request,
) -> None:
    policies = PolicySet(
        identity=[parse_policy(d, PolicyKind.IDENTITY, policy_id=f"id{i}") for i, d in enumerate(identity)],
        boundary=parse_policy(boundary, PolicyKind.BOUNDARY) if boundary else None,
        session=[parse_policy(d, PolicyKind.SESSION) for d in session],
        resource=parse_policy(resource, PolicyKind.RESOURCE) if resource else None,
        scps=[[parse_policy(d, PolicyKind.SCP) for d in level] for level in scps],
        rcps=[[parse_policy(d, PolicyKind.RCP) for d in level] for level in rcps],
    )
    compiled = evaluate(request, policies)
    assert compiled == evaluate_reference(request, policies)
    assert compiled == evaluate(request, policies), "memoised indexes must not change a second answer"
    assert allowed(request, policies) is compiled.allowed


@settings(max_examples=300, deadline=None)
@given(
    resource=documents(principal_needed=True),
    request=requests(),
    kind=st.sampled_from([PolicyKind.RESOURCE, PolicyKind.TRUST]),
)
def test_the_answer_alone_for_a_resource_policy_alone_is_the_decisions(
    resource: dict[str, Any], request: Request, kind: PolicyKind
) -> None:
    """``allowed`` answers a resource-based policy alone without a decision for callers that are
    no IAM principal; for every caller its answer is the reference interpreter's."""
    if kind is PolicyKind.TRUST:  # a trust policy names no resource: its role is the resource
        for statement in resource["Statement"]:
            statement.pop("Resource", None)
            statement.pop("NotResource", None)
    policies = PolicySet(resource=parse_policy(resource, kind))
    assert allowed(request, policies) is evaluate_reference(request, policies).allowed


ROLE = "arn:aws:iam::111122223333:role/app"


def _blocks() -> list[Any]:
    """Principal elements of one and of two types, each type with one entry or all of its own."""
    single = [{kind: entry} for kind, entries in ENTRIES.items() for entry in entries]
    whole = [{kind: list(entries)} for kind, entries in ENTRIES.items()]
    mixed = [{"Federated": ENTRIES["Federated"][0], kind: entries[0]} for kind, entries in ENTRIES.items()]
    return ["*", *single, *whole, *mixed]


def test_every_principal_element_grades_every_caller_as_the_reference_does() -> None:
    # Exhaustive where the drawn test is sparse: each principal shape (the compiled form has a set
    # lookup for identity-provider and canonical-user entries) against each kind of caller, as an
    # Allow and a Deny, with Principal and NotPrincipal, in a resource policy and a trust policy.
    for block in _blocks():
        for key in ("Principal", "NotPrincipal"):
            for effect in ("Allow", "Deny"):
                statement = {"Effect": effect, key: block, "Action": "*"}
                for kind in (PolicyKind.RESOURCE, PolicyKind.TRUST):
                    body = statement if kind is PolicyKind.TRUST else {**statement, "Resource": "*"}
                    policy = parse_policy({"Version": "2012-10-17", "Statement": [body]}, kind)
                    policies = PolicySet(resource=policy)
                    for principal in PRINCIPALS:
                        request = Request(principal, "sts:AssumeRole", ROLE)
                        expected = evaluate_reference(request, policies)
                        assert evaluate(request, policies) == expected, (block, key, effect, principal)
