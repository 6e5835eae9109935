"""Wildcard matching: IAM User Guide, "IAM JSON policy elements: Action"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html) and
"IAM JSON policy elements: Resource"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eksiam.policy import reference
from eksiam.policy.wildcards import (
    LITERAL_STAR,
    action_matcher,
    arn_matcher,
    string_like_matcher,
    unmark,
)


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("s3:GetObject", "s3:getobject", True),
        ("S3:GETOBJECT", "s3:getobject", True),
        ("s3:Get*", "s3:getobjectacl", True),
        ("s3:Get*", "s3:putobject", False),
        ("iam:*AccessKey*", "iam:listaccesskeys", True),
        ("s3:?etObject", "s3:getobject", True),
        ("s3:?etObject", "s3:ggetobject", False),
        ("*", "anything:atall", True),
        ("s3:*", "s3express:createsession", False),
    ],
)
def test_action_patterns_match_case_insensitively(pattern: str, action: str, matches: bool) -> None:
    assert bool(action_matcher(pattern)(action)) is matches


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        ("arn:aws:iam::111122223333:user/Bob", "arn:aws:iam::111122223333:user/bob", False),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c.txt", True),
        (
            "arn:aws:iam::111122223333:user/accounting/*",
            "arn:aws:iam::111122223333:user/accounting/eve",
            True,
        ),
        ("arn:aws:ec2:us-*-1:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", True),
        ("arn:aws:ec2:us-*-1:*:instance/*", "arn:aws:ec2:eu-west-1:111122223333:instance/i-1", False),
        ("arn:aws:s3:*", "arn:aws:s3:::bucket/key", True),
    ],
)
def test_resource_patterns_are_case_sensitive_and_segment_aware(
    pattern: str, resource: str, matches: bool
) -> None:
    assert bool(arn_matcher(pattern)(resource)) is matches


def test_star_inside_a_segment_does_not_cross_a_colon() -> None:
    # "If the * wildcard is the last character of a resource ARN segment, it can expand to match
    # beyond the colon boundaries" - so a * that is not last in its segment stays inside it.
    assert not arn_matcher("arn:aws:ec2:us*1:*:instance/x")("arn:aws:ec2:us-east:1:111122223333:instance/x")
    assert arn_matcher("arn:aws:ec2:us*:*:instance/x")("arn:aws:ec2:us-east-1:111122223333:instance/x")


def test_string_like_ignores_case_only_when_asked() -> None:
    assert string_like_matcher("Team-*")("Team-blue")
    assert not string_like_matcher("Team-*")("team-blue")
    assert string_like_matcher("Team-*", True)("team-blue")


def test_literal_star_from_escape_is_not_a_wildcard() -> None:
    pattern = f"arn:aws:s3:::bucket/{LITERAL_STAR}"
    assert arn_matcher(pattern)("arn:aws:s3:::bucket/*")
    assert not arn_matcher(pattern)("arn:aws:s3:::bucket/anything")
    assert unmark(pattern) == "arn:aws:s3:::bucket/*"


def test_matchers_are_compiled_once_and_cached() -> None:
    assert arn_matcher("arn:aws:s3:::cache-me/*") is arn_matcher("arn:aws:s3:::cache-me/*")


PATTERN_ALPHABET = st.sampled_from(["a", "b", ":", "/", "*", "?", "A", LITERAL_STAR])
TEXT_ALPHABET = st.sampled_from(["a", "b", ":", "/", "A", "*"])


@settings(max_examples=600, deadline=None)
@given(pattern=st.text(PATTERN_ALPHABET, max_size=12), text=st.text(TEXT_ALPHABET, max_size=12))
def test_compiled_arn_matching_equals_the_backtracking_reference(pattern: str, text: str) -> None:
    arn_pattern, arn_text = f"arn:aws:{pattern}", f"arn:aws:{text}"
    assert bool(arn_matcher(arn_pattern)(arn_text)) is reference.arn_match(arn_pattern, arn_text)


@settings(max_examples=600, deadline=None)
@given(pattern=st.text(PATTERN_ALPHABET, max_size=12), text=st.text(TEXT_ALPHABET, max_size=12))
def test_compiled_globs_equal_the_backtracking_reference(pattern: str, text: str) -> None:
    assert bool(string_like_matcher(pattern)(text)) is reference.glob_match(pattern, text)
    assert bool(action_matcher(pattern)(text.lower())) is reference.glob_match(
        pattern, text, ignore_case=True
    )
