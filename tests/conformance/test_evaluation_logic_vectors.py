"""Core evaluation logic: implicit/explicit deny, Action/Resource matching, NotAction/NotResource.

Vectors: cases/evaluation_logic.yaml."""

from __future__ import annotations

import pytest
from conformance_vectors import Vector, load, params, run_decision

VECTORS = load("evaluation_logic.yaml")


@pytest.mark.parametrize("vector", list(params(VECTORS)))
def test_decision_matches_aws_documentation(vector: Vector) -> None:
    run_decision(vector)
