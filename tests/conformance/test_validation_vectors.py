"""Policy grammar and per-kind validation, with IAM's MalformedPolicyDocument texts.

Vectors: cases/validation.yaml."""

from __future__ import annotations

import pytest
from conformance_vectors import Vector, load, params, run_validation

VECTORS = load("validation.yaml")


@pytest.mark.parametrize("vector", list(params(VECTORS)))
def test_validation_matches_iam(vector: Vector) -> None:
    run_validation(vector)
