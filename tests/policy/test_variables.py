"""Policy variables: IAM User Guide, "IAM policy elements: Variables and tags"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html)."""

from __future__ import annotations

from policy_builders import ALICE, allow, decide, doc

from eksiam.policy.variables import Variable, parse_template
from eksiam.policy.wildcards import LITERAL_QMARK, LITERAL_STAR


def _lookup(values: dict[str, tuple[str, ...]]):  # type: ignore[no-untyped-def]
    return values.get


def test_variable_is_replaced_by_the_request_value() -> None:
    template = parse_template("home/${aws:username}/*", True)
    assert template.substitute(_lookup({"aws:username": ("alice",)})) == "home/alice/*"


def test_variable_names_are_case_insensitive() -> None:
    template = parse_template("${AWS:UserName}", True)
    assert template.parts == (Variable("aws:username", None),)


def test_default_applies_only_when_the_key_is_missing() -> None:
    template = parse_template("${aws:PrincipalTag/team, 'company-wide'}", True)
    assert template.substitute(_lookup({})) == "company-wide"
    assert template.substitute(_lookup({"aws:principaltag/team": ("blue",)})) == "blue"


def test_escapes_give_literal_characters() -> None:
    template = parse_template("a${*}b${?}c${$}d", True)
    assert template.is_static
    assert template.static_text == f"a{LITERAL_STAR}b{LITERAL_QMARK}c$d"


def test_missing_variable_has_no_value() -> None:
    assert parse_template("x/${aws:username}", True).substitute(_lookup({})) is None


def test_multivalued_key_cannot_be_a_variable() -> None:
    template = parse_template("${aws:TagKeys}", True)
    assert template.substitute(_lookup({"aws:tagkeys": ("a", "b")})) is None


def test_version_2008_does_not_substitute() -> None:
    assert parse_template("home/${aws:username}", False).static_text == "home/${aws:username}"


def test_username_variable_scopes_resource_to_own_home() -> None:
    statement = allow(resource="arn:aws:s3:::bucket/home/${aws:username}/*")
    assert decide([statement], resource="arn:aws:s3:::bucket/home/alice/a.txt").allowed
    assert not decide([statement], resource="arn:aws:s3:::bucket/home/bob/a.txt").allowed


def test_star_in_a_variable_value_is_literal() -> None:
    statement = allow(resource="arn:aws:s3:::bucket/${aws:PrincipalTag/prefix}/x")
    context = {"aws:PrincipalTag/prefix": "*"}
    assert not decide([statement], resource="arn:aws:s3:::bucket/any/x", context=context).allowed
    assert decide([statement], resource="arn:aws:s3:::bucket/*/x", context=context).allowed


def test_2008_policy_matches_the_variable_text_literally() -> None:
    from eksiam.policy import PolicySet, Request, evaluate, parse_policy

    legacy = parse_policy(doc(allow(resource="arn:aws:s3:::bucket/${aws:username}"), version="2008-10-17"))
    request = Request(ALICE, "s3:GetObject", "arn:aws:s3:::bucket/alice")
    assert not evaluate(request, PolicySet(identity=[legacy])).allowed
    literal = Request(ALICE, "s3:GetObject", "arn:aws:s3:::bucket/${aws:username}")
    assert evaluate(literal, PolicySet(identity=[legacy])).allowed
