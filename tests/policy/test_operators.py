"""Condition operators: IAM User Guide, "IAM JSON policy elements: Condition operators"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
and "Set operators for multivalued context keys"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from eksiam.policy.operators import OPERATOR_NAMES, clause_holds, key_test, lookup_operator, prepare_values


def holds(operator: str, policy_values: Sequence[str], request: Sequence[str] | None) -> bool:
    spec = lookup_operator(operator)
    assert spec is not None, operator
    prepared = prepare_values(spec, policy_values)
    generic = clause_holds(spec, prepared, None if request is None else tuple(request))
    fast = key_test(spec, prepared, "k")({} if request is None else {"k": tuple(request)})
    assert generic is fast, "the specialised test must agree with the generic one"
    return generic


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        ("StringEquals", ["johndoe"], "johndoe", True),
        ("StringEquals", ["johndoe"], "JohnDoe", False),
        ("StringNotEquals", ["johndoe"], "JohnDoe", True),
        ("StringEqualsIgnoreCase", ["johndoe"], "JohnDoe", True),
        ("StringNotEqualsIgnoreCase", ["johndoe"], "JohnDoe", False),
        ("StringLike", ["home/*"], "home/alice/x", True),
        ("StringLike", ["home/?"], "home/ab", False),
        ("StringNotLike", ["home/*"], "work/x", True),
        ("NumericEquals", ["10"], "10.0", True),
        ("NumericNotEquals", ["10"], "11", True),
        ("NumericLessThan", ["10"], "9", True),
        ("NumericLessThanEquals", ["10"], "10", True),
        ("NumericGreaterThan", ["10"], "10", False),
        ("NumericGreaterThanEquals", ["10"], "10", True),
        ("NumericEquals", ["10"], "ten", False),
        ("DateGreaterThan", ["2020-01-01T00:00:00Z"], "2021-06-01T12:00:00Z", True),
        ("DateLessThan", ["2020-01-01T00:00:00Z"], "1577836799", True),
        ("DateEquals", ["2020-01-01"], "2020-01-01T00:00:00Z", True),
        ("DateNotEquals", ["2020-01-01T00:00:00Z"], "1577836800", False),
        ("DateLessThanEquals", ["2020-01-01T00:00:00+01:00"], "2019-12-31T23:00:00Z", True),
        ("DateGreaterThanEquals", ["1577836800"], "2020-01-01T00:00:00Z", True),
        ("DateGreaterThan", ["2020-01-01T00:00:00Z"], "not a date", False),
        ("Bool", ["true"], "true", True),
        ("Bool", ["true"], "TRUE", True),
        ("Bool", ["true"], "false", False),
        ("Bool", ["true"], "yes", False),
        ("BinaryEquals", ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
        ("BinaryEquals", ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], "T3RoZXI=", False),
        ("IpAddress", ["203.0.113.0/24"], "203.0.113.77", True),
        ("IpAddress", ["203.0.113.0/24"], "198.51.100.1", False),
        ("IpAddress", ["2001:DB8:1234:5678::/64"], "2001:db8:1234:5678::1", True),
        ("IpAddress", ["203.0.113.0/24"], "2001:db8::1", False),
        ("IpAddress", ["203.0.113.9"], "203.0.113.9", True),
        ("NotIpAddress", ["203.0.113.0/24"], "198.51.100.1", True),
        ("ArnEquals", ["arn:aws:sns:us-east-1:*:topic"], "arn:aws:sns:us-east-1:111122223333:topic", True),
        ("ArnLike", ["arn:aws:iam::*:role/app-*"], "arn:aws:iam::111122223333:role/app-web", True),
        ("ArnLike", ["arn:aws:iam::*:role/app-*"], "arn:aws:iam::111122223333:role/App-web", False),
        ("ArnNotEquals", ["arn:aws:iam::111122223333:role/a"], "arn:aws:iam::111122223333:role/b", True),
        ("ArnNotLike", ["arn:aws:iam::*:role/a*"], "arn:aws:iam::111122223333:role/abc", False),
    ],
)
def test_operator_compares_as_documented(
    operator: str, policy: list[str], request_value: str, expected: bool
) -> None:
    assert holds(operator, policy, [request_value]) is expected


def test_policy_values_are_ored() -> None:
    assert holds("StringEquals", ["a", "b"], ["b"])
    assert not holds("StringNotEquals", ["a", "b"], ["b"])


@pytest.mark.parametrize(
    "operator", ["StringEquals", "NumericLessThan", "DateGreaterThan", "Bool", "IpAddress"]
)
def test_missing_key_fails_positive_operator(operator: str) -> None:
    assert not holds(operator, ["1"], None)


@pytest.mark.parametrize(
    "operator",
    ["StringNotEquals", "StringNotLike", "ArnNotLike", "ArnNotEquals", "NumericNotEquals", "NotIpAddress"],
)
def test_missing_key_satisfies_negated_operator(operator: str) -> None:
    # "If the policy condition requires that the key is not matched, such as StringNotLike or ArnNotLike,
    # and the right key is not present, the condition is true."
    assert holds(operator, ["1"], None)


def test_if_exists_holds_when_key_missing_and_tests_when_present() -> None:
    assert holds("StringEqualsIfExists", ["m5.large"], None)
    assert holds("StringEqualsIfExists", ["m5.large"], ["m5.large"])
    assert not holds("StringEqualsIfExists", ["m5.large"], ["t2.micro"])


def test_for_all_values_needs_every_request_value_listed() -> None:
    assert holds("ForAllValues:StringEquals", ["env", "owner"], ["env"])
    assert not holds("ForAllValues:StringEquals", ["env", "owner"], ["env", "cost"])


def test_for_all_values_holds_on_missing_key_and_empty_set() -> None:
    assert holds("ForAllValues:StringEquals", ["env"], None)
    assert holds("ForAllValues:StringEquals", ["env"], [])


def test_for_any_value_needs_one_request_value_listed() -> None:
    assert holds("ForAnyValue:StringEquals", ["env"], ["cost", "env"])
    assert not holds("ForAnyValue:StringEquals", ["env"], ["cost"])


def test_for_any_value_fails_on_missing_key_and_empty_set() -> None:
    assert not holds("ForAnyValue:StringEquals", ["env"], None)
    assert not holds("ForAnyValue:StringEquals", ["env"], [])


def test_negated_set_operators_apply_per_value() -> None:
    assert holds("ForAllValues:StringNotEquals", ["secret"], ["a", "b"])
    assert not holds("ForAllValues:StringNotEquals", ["secret"], ["a", "secret"])
    assert holds("ForAnyValue:StringNotEquals", ["secret"], ["a", "secret"])


def test_null_tests_presence() -> None:
    assert holds("Null", ["true"], None)
    assert not holds("Null", ["true"], ["x"])
    assert holds("Null", ["false"], ["x"])
    assert holds("Null", ["true"], [])


def test_unknown_operator_names_are_not_in_the_registry() -> None:
    for name in ("StringEqualz", "NullIfExists", "ForSomeValues:StringEquals", "stringequals"):
        assert lookup_operator(name) is None
    assert len(OPERATOR_NAMES) == 27  # 26 comparison operators and Null


def test_every_operator_has_an_if_exists_form_except_null() -> None:
    for name in OPERATOR_NAMES - {"Null"}:
        spec = lookup_operator(f"ForAnyValue:{name}IfExists")
        assert spec is not None and spec.if_exists and spec.qualifier == "ForAnyValue"
