"""Parser fuzzing: whatever IAM is handed, it answers with a policy or MalformedPolicyDocument.

Properties, for every policy kind:
1. parse_policy(anything) returns a Policy or raises MalformedPolicyDocument, never another exception
   (no KeyError, TypeError, RecursionError, UnicodeDecodeError... leaking out of the parser);
2. validate_policy(anything) returns a list of findings with severity ERROR or WARNING, never raises;
3. the two agree: parse_policy rejects a document exactly when validate_policy reports an ERROR.
Examples are bounded so the suite stays fast in CI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from eksiam.policy import (
    MalformedPolicyDocument,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    evaluate,
    parse_policy,
    validate_policy,
)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KINDS = st.sampled_from(list(PolicyKind))

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)

# Values that look like policy grammar, so the fuzzer reaches the statement and condition parsers
# instead of stopping at the top level.
ELEMENT_WORDS = st.sampled_from(
    [
        "*",
        "s3:GetObject",
        "s3:*",
        "iam:Get*",
        "GetObject",
        "sts:AssumeRole",
        "arn:aws:s3:::b/*",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:role/r",
        "111122223333",
        "ec2.amazonaws.com",
        "aws:username",
        "aws:SourceIp",
        "aws:TagKeys",
        "${aws:username}",
        "${aws:PrincipalTag/team, 'x'}",
        "${*}",
        "${",
        "}",
        "203.0.113.0/24",
        "2001:db8::/32",
        "2020-01-01T00:00:00Z",
        "true",
        "false",
        "10",
        "Allow",
        "Deny",
        "",
    ]
)
OPERATORS = st.sampled_from(
    [
        "StringEquals",
        "StringNotLike",
        "StringEqualsIgnoreCase",
        "NumericLessThan",
        "DateGreaterThan",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnLike",
        "Null",
        "StringLikeIfExists",
        "ForAllValues:StringEquals",
        "ForAnyValue:StringLike",
        "ForAllValues:NullIfExists",
        "Bogus",
        "ForAnyValue:",
        ":StringEquals",
        "IfExists",
    ]
)
GRAMMAR_VALUE = st.one_of(ELEMENT_WORDS, st.lists(ELEMENT_WORDS, max_size=3), JSON_VALUES)
CONDITIONS = st.one_of(
    st.dictionaries(OPERATORS, st.dictionaries(ELEMENT_WORDS, GRAMMAR_VALUE, max_size=3), max_size=3),
    JSON_VALUES,
)
PRINCIPALS = st.one_of(
    ELEMENT_WORDS,
    st.dictionaries(
        st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "Other"]), GRAMMAR_VALUE, max_size=3
    ),
    JSON_VALUES,
)
STATEMENT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "Sid": st.one_of(st.sampled_from(["One", "Two", "not ok!"]), JSON_VALUES),
    "Effect": st.one_of(st.sampled_from(["Allow", "Deny", "allow", "Permit"]), JSON_VALUES),
    "Action": GRAMMAR_VALUE,
    "NotAction": GRAMMAR_VALUE,
    "Resource": GRAMMAR_VALUE,
    "NotResource": GRAMMAR_VALUE,
    "Principal": PRINCIPALS,
    "NotPrincipal": PRINCIPALS,
    "Condition": CONDITIONS,
    "Extra": JSON_VALUES,
}
STATEMENTS = st.fixed_dictionaries({}, optional=STATEMENT_FIELDS)
POLICY_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "Version": st.one_of(st.sampled_from(["2012-10-17", "2008-10-17", "2012-10-18"]), JSON_VALUES),
        "Id": JSON_VALUES,
        "Statement": st.one_of(STATEMENTS, st.lists(STATEMENTS, max_size=4), JSON_VALUES),
        "Extra": JSON_VALUES,
    },
)

# Near-valid documents: mostly well-formed, so that the fuzzer gets past the grammar into the
# compiler and the evaluator (a handful of garbage choices still reach every error branch).
VALID_ACTIONS = st.sampled_from(
    ["s3:GetObject", "s3:*", "iam:Get*", "ec2:Describe?nstances", "*", "sts:AssumeRole"]
)
VALID_RESOURCES = st.sampled_from(
    ["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/${aws:username}/*", "arn:aws:iam::111122223333:role/*",
     "arn:aws:s3:::b/${aws:PrincipalTag/team, 'x'}/${*}${?}${$}", "arn:aws:ec2:*:*:instance/*", "not-an-arn"]
)  # fmt: skip
VALID_OPERATORS = st.sampled_from(
    ["StringEquals", "StringNotEquals", "StringLike", "StringNotLikeIfExists", "StringEqualsIgnoreCase",
     "NumericLessThan", "NumericGreaterThanEqualsIfExists", "DateLessThan", "DateGreaterThanIfExists", "Bool",
     "BoolIfExists", "BinaryEquals", "IpAddress", "NotIpAddressIfExists", "ArnLike", "ArnNotEquals", "Null",
     "ForAllValues:StringEquals", "ForAnyValue:StringLike", "ForAllValues:NumericLessThan", "StringEqualz"]
)  # fmt: skip
CONDITION_KEYS = st.sampled_from(
    ["aws:username", "aws:SourceIp", "aws:TagKeys", "aws:CurrentTime", "aws:SecureTransport",
     "aws:PrincipalTag/team", "aws:SourceArn", "s3:max-keys", "aws:MultiFactorAuthAge", "nokey"]
)  # fmt: skip
CONDITION_VALUES = st.one_of(ELEMENT_WORDS, st.lists(ELEMENT_WORDS, min_size=1, max_size=3))
NEAR_VALID_STATEMENTS = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Allow", "Deny", "Permit"]),
        "Action": st.one_of(VALID_ACTIONS, st.lists(VALID_ACTIONS, min_size=1, max_size=3)),
        "Resource": st.one_of(VALID_RESOURCES, st.lists(VALID_RESOURCES, min_size=1, max_size=3)),
    },
    optional={
        "Sid": st.sampled_from(["One", "Two", "Three"]),
        "Condition": st.dictionaries(
            VALID_OPERATORS,
            st.dictionaries(CONDITION_KEYS, CONDITION_VALUES, min_size=1, max_size=2),
            max_size=3,
        ),
    },
)
NEAR_VALID_POLICIES = st.fixed_dictionaries(
    {
        "Version": st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17"]),
        "Statement": st.lists(NEAR_VALID_STATEMENTS, min_size=1, max_size=4),
    }
)
CONTEXTS = st.dictionaries(
    CONDITION_KEYS,
    st.one_of(ELEMENT_WORDS, st.text(max_size=8), st.lists(ELEMENT_WORDS, max_size=3)),
    max_size=4,
)


def check(document: str | bytes | Mapping[str, Any], kind: PolicyKind) -> None:
    findings = validate_policy(document, kind)
    assert isinstance(findings, list)
    assert all(f.severity in ("ERROR", "WARNING") for f in findings)
    has_error = any(f.severity == "ERROR" for f in findings)
    try:
        policy = parse_policy(document, kind)
    except MalformedPolicyDocument as error:
        assert isinstance(error.message, str) and error.message
        assert has_error, f"parse_policy rejected ({error.message}) what validate_policy accepted"
    else:
        assert isinstance(policy, Policy)
        assert not has_error, f"parse_policy accepted what validate_policy rejected: {findings}"


@FUZZ
@given(POLICY_LIKE, KINDS)
def test_policy_shaped_mappings_parse_or_are_malformed(document: dict[str, Any], kind: PolicyKind) -> None:
    check(document, kind)
    check(json.dumps(document), kind)


@FUZZ
@given(JSON_VALUES, KINDS)
def test_any_json_value_parses_or_is_malformed(value: Any, kind: PolicyKind) -> None:
    check(json.dumps(value), kind)
    if isinstance(value, dict):
        check(value, kind)


@FUZZ
@given(st.text(max_size=200), KINDS)
@example("[" * 100_000 + "]" * 100_000, PolicyKind.IDENTITY)
@example('{"Statement": ' * 5_000 + "1" + "}" * 5_000, PolicyKind.TRUST)
@example('{"Version": "2012-10-17", "Version": "2008-10-17", "Statement": []}', PolicyKind.IDENTITY)
@example("\ufeff{}", PolicyKind.IDENTITY)
@example("NaN", PolicyKind.IDENTITY)
@example('{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]} trailing', PolicyKind.SCP)
def test_any_text_parses_or_is_malformed(text: str, kind: PolicyKind) -> None:
    check(text, kind)


@FUZZ
@given(st.binary(max_size=200), KINDS)
@example(b"\xff\xfe{\x00}\x00", PolicyKind.IDENTITY)
@example(b'{"Version": "2012-10-17", "Statement": "\xe9"}', PolicyKind.RESOURCE)
def test_any_bytes_parse_or_are_malformed(data: bytes, kind: PolicyKind) -> None:
    check(data, kind)


@FUZZ
@given(POLICY_LIKE, st.data(), KINDS)
def test_corrupted_policy_text_parses_or_is_malformed(
    document: dict[str, Any], data: st.DataObject, kind: PolicyKind
) -> None:
    text = json.dumps(document)
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    noise = data.draw(st.text(max_size=5))
    check(text[:cut] + noise + text[cut + 1 :], kind)


@FUZZ
@given(
    NEAR_VALID_POLICIES, CONTEXTS, st.sampled_from(["s3:GetObject", "iam:GetRole", "ec2:DescribeInstances"])
)
def test_near_valid_policies_parse_and_evaluate_without_crashing(
    document: dict[str, Any], context: dict[str, Any], action: str
) -> None:
    """Whatever parses must also evaluate: any request context yields one of the three decisions."""
    check(document, PolicyKind.IDENTITY)
    try:
        policy = parse_policy(document, PolicyKind.IDENTITY)
    except MalformedPolicyDocument:
        return
    request = Request(
        principal="arn:aws:iam::111122223333:user/alice",
        action=action,
        resource="arn:aws:s3:::b/alice/x",
        resource_account="111122223333",
        context=context,
    )
    decision = evaluate(request, PolicySet(identity=(policy,), boundary=policy))
    assert decision.to_dict()["decision"] in ("Allow", "ExplicitDeny", "ImplicitDeny")
