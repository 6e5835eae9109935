"""Explanations name the policy type at fault, as AWS's AccessDenied messages do (IAM User Guide,
"Troubleshoot access denied error messages",
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)."""

from __future__ import annotations

import json

from policy_builders import allow, decide, deny, policy

from eksiam.policy import PolicyKind, explain, explain_json


def test_explicit_deny_names_the_statement() -> None:
    text = explain(decide([allow(), deny(Sid="NoReads")]))
    assert text.splitlines()[0] == "Decision: ExplicitDeny"
    assert "explicit deny in identity-based policy identity (NoReads)" in text


def test_implicit_deny_says_which_policy_type_lacked_the_allow() -> None:
    boundary = policy(allow(action="ec2:*"), kind=PolicyKind.BOUNDARY)
    text = explain(decide([allow()], boundary=boundary))
    assert "allowed by identity-based policy, not by permissions boundary" in text
    assert "no permissions boundary allows the request" in text


def test_missing_condition_keys_are_listed() -> None:
    text = explain(decide([allow(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})]))
    assert "condition keys not in the request: aws:MultiFactorAuthPresent" in text


def test_json_form_carries_the_decision_and_the_text() -> None:
    rendered = json.loads(json.dumps(explain_json(decide([allow()]))))
    assert rendered["decision"] == "Allow"
    assert rendered["allowed"] is True
    assert rendered["explanation"].startswith("Decision: Allow")
