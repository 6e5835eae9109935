"""Permissions boundaries and session policies.

Vectors: cases/boundaries_and_sessions.yaml."""

from __future__ import annotations

import pytest
from conformance_vectors import Vector, load, params, run_decision

VECTORS = load("boundaries_and_sessions.yaml")


@pytest.mark.parametrize("vector", list(params(VECTORS)))
def test_decision_matches_aws_documentation(vector: Vector) -> None:
    run_decision(vector)
