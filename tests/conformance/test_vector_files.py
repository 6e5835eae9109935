"""The vector files themselves: every case cites an AWS page and states a decision AWS documents."""

from __future__ import annotations

from conformance_vectors import CASES, DECISIONS, load

DECISION_FILES = sorted(p.name for p in CASES.glob("*.yaml") if p.name != "validation.yaml")


def test_every_decision_case_states_a_documented_decision() -> None:
    vectors = load(*DECISION_FILES)
    for vector in vectors:
        assert vector.body["expect"] in DECISIONS, vector.id
        assert {"principal", "action", "resource"} <= set(vector.body), vector.id


def test_every_case_cites_an_aws_documentation_page() -> None:
    for vector in load(*DECISION_FILES, "validation.yaml"):
        assert vector.source.startswith("https://docs.aws.amazon.com/"), vector.id


def test_there_are_at_least_two_hundred_cases() -> None:
    assert len(load(*DECISION_FILES, "validation.yaml")) >= 200
