"""Service control policies and resource control policies per organization level.

Vectors: cases/organizations.yaml."""

from __future__ import annotations

import pytest
from conformance_vectors import Vector, load, params, run_decision

VECTORS = load("organizations.yaml")


@pytest.mark.parametrize("vector", list(params(VECTORS)))
def test_decision_matches_aws_documentation(vector: Vector) -> None:
    run_decision(vector)
