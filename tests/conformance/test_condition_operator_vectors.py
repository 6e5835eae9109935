"""Condition operator families, IfExists, Null, and ForAllValues/ForAnyValue over multivalued keys.

Vectors: cases/condition_operators.yaml, cases/multivalued_keys.yaml."""

from __future__ import annotations

import pytest
from conformance_vectors import Vector, load, params, run_decision

VECTORS = load("condition_operators.yaml", "multivalued_keys.yaml")


@pytest.mark.parametrize("vector", list(params(VECTORS)))
def test_decision_matches_aws_documentation(vector: Vector) -> None:
    run_decision(vector)
