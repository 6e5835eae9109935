"""The IAM policy engine: pure functions over immutable policy data (no I/O, clock or randomness)."""
