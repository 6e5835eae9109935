"""Role trust policies for sts:AssumeRole and sts:AssumeRoleWithWebIdentity.

Vectors: cases/trust_policies.yaml."""

from __future__ import annotations

import pytest
from conformance_vectors import Vector, load, params, run_decision

VECTORS = load("trust_policies.yaml")


@pytest.mark.parametrize("vector", list(params(VECTORS)))
def test_decision_matches_aws_documentation(vector: Vector) -> None:
    run_decision(vector)
