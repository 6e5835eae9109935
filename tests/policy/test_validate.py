"""Validation per policy kind with IAM's MalformedPolicyDocument messages (shared/spec/iam-rules.md
section 4; IAM User Guide, "IAM JSON policy element reference",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html)."""

from __future__ import annotations

from typing import Any

import pytest
from policy_builders import allow, doc

from eksiam.policy import MalformedPolicyDocument, PolicyKind, parse_policy, policy_size, validate_policy


def message_of(document: Any, kind: PolicyKind = PolicyKind.IDENTITY) -> str:
    with pytest.raises(MalformedPolicyDocument) as caught:
        parse_policy(document, kind)
    errors = [f for f in validate_policy(document, kind) if f.severity == "ERROR"]
    assert errors and errors[0].message == caught.value.message
    return caught.value.message


TRUST = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}


@pytest.mark.parametrize("text", ["{", "", "[]", "null", '"x"', b"\xff\xfe", "{'Version': 1}"])
def test_text_that_is_not_a_json_object_is_a_syntax_error(text: Any) -> None:
    assert message_of(text) == "Syntax errors in policy."


def test_unknown_element_is_a_syntax_error() -> None:
    assert message_of(doc({**allow(), "Actions": "s3:*"})) == "Syntax errors in policy."
    assert message_of({**doc(allow()), "Extra": 1}) == "Syntax errors in policy."


def test_statement_may_be_an_object_or_a_list() -> None:
    single = parse_policy({"Version": "2012-10-17", "Statement": allow()})
    listed = parse_policy(doc(allow()))
    assert single.document.statements == listed.document.statements


def test_unknown_version_is_refused_and_both_known_versions_accepted() -> None:
    assert (
        message_of(doc(allow(), version="2012-10-18"))
        == "Policy document must be version 2012-10-17 or greater."
    )
    assert parse_policy(doc(allow(), version="2008-10-17")).document.version == "2008-10-17"
    assert parse_policy({"Statement": [allow()]}).document.version is None


def test_duplicate_sid_is_refused() -> None:
    document = doc(allow(Sid="One"), allow(Sid="One"))
    assert message_of(document) == "Statement IDs (SID) in a single policy must be unique."


def test_missing_actions_and_resources_use_iams_messages() -> None:
    assert message_of(doc({"Effect": "Allow", "Resource": "*"})) == "Policy statement must contain actions."
    assert (
        message_of(doc({"Effect": "Allow", "Action": "s3:*"})) == "Policy statement must contain resources."
    )


def test_principal_in_identity_policy_is_refused() -> None:
    document = doc(allow(Principal={"AWS": "111122223333"}))
    assert message_of(document) == "Policy document should not specify a principal."


def test_trust_policy_needs_a_principal_and_refuses_resource() -> None:
    no_principal = doc({"Effect": "Allow", "Action": "sts:AssumeRole"})
    assert message_of(no_principal, PolicyKind.TRUST) == "Missing required field Principal"
    with_resource = doc({**TRUST, "Resource": "*"})
    assert message_of(with_resource, PolicyKind.TRUST) == "Has prohibited field Resource."
    assert parse_policy(doc(TRUST), PolicyKind.TRUST).kind is PolicyKind.TRUST


def test_resource_policy_needs_a_principal() -> None:
    assert message_of(doc(allow()), PolicyKind.RESOURCE) == "Missing required field Principal"


def test_action_without_vendor_is_refused() -> None:
    assert message_of(doc(allow(action="GetObject"))) == (
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    )


def test_unknown_condition_operator_is_refused() -> None:
    document = doc(allow(Condition={"StringEqualz": {"aws:username": "a"}}))
    assert message_of(document) == "Syntax errors in policy."


def test_partial_wildcard_in_principal_is_refused() -> None:
    statement = {**TRUST, "Principal": {"AWS": "arn:aws:iam::111122223333:user/*"}}
    assert message_of(doc(statement), PolicyKind.TRUST).startswith("Invalid principal in policy")


def test_unknown_action_is_a_warning_not_an_error() -> None:
    findings = validate_policy(doc(allow(action="s3:GetObjectz")))
    assert [f.severity for f in findings] == ["WARNING"]
    parse_policy(doc(allow(action="s3:GetObjectz")))


def test_unknown_condition_key_is_a_warning() -> None:
    document = doc(allow(Condition={"StringEquals": {"s3:notakey": "x", "aws:username": "a"}}))
    findings = validate_policy(document)
    assert [(f.severity, f.message) for f in findings] == [("WARNING", "Unknown condition key s3:notakey.")]


def test_identity_provider_keys_are_not_flagged() -> None:
    key = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub"
    statement = {**TRUST, "Condition": {"StringEquals": {key: "system:serviceaccount:default:app"}}}
    assert validate_policy(doc(statement), PolicyKind.TRUST) == []


def test_json_numbers_and_booleans_in_conditions_are_read_as_text() -> None:
    parsed = parse_policy(
        doc(allow(Condition={"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": 5}}))
    )
    values = [clause.values for clause in parsed.document.statements[0].conditions]
    assert values == [("true",), ("5",)]


def test_policy_size_ignores_whitespace() -> None:
    assert policy_size('{ "a" :\n\t"b c" }') == len('{"a":"bc"}')


def test_parse_is_cached_by_content() -> None:
    first = parse_policy(doc(allow(Sid="Cache")), policy_id="one")
    second = parse_policy(doc(allow(Sid="Cache")), policy_id="two")
    assert first.compiled is second.compiled
    assert (first.policy_id, second.policy_id) == ("one", "two")


def test_findings_carry_the_json_path_of_the_element() -> None:
    single = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*"}}
    assert [f.path for f in validate_policy(single)] == ["$.Statement.Resource"]
    listed = doc(allow(), {"Effect": "Allow", "Action": "s3:*"})
    assert [f.path for f in validate_policy(listed)] == ["$.Statement[1].Resource"]


def test_condition_key_without_vendor_is_refused() -> None:
    document = doc(allow(Condition={"StringEquals": {"username": "alice"}}))
    assert (
        message_of(document) == "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    )


@pytest.mark.parametrize(
    "principal",
    [
        "111122223333",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:role/path/app",
        "arn:aws:sts::111122223333:assumed-role/app/s1",
        "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E1234",
        "AROAEXAMPLEEXAMPLE123",
        "*",
    ],
)
def test_aws_principal_forms_are_accepted(principal: str) -> None:
    parse_policy(doc({**TRUST, "Principal": {"AWS": principal}}), PolicyKind.TRUST)


@pytest.mark.parametrize("principal", ["alice", "arn:aws:s3:::bucket", "1111"])
def test_aws_principal_that_names_nothing_is_invalid(principal: str) -> None:
    document = doc({**TRUST, "Principal": {"AWS": principal}})
    assert message_of(document, PolicyKind.TRUST) == f'Invalid principal in policy: "AWS":"{principal}"'
