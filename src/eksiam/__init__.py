"""eksiam: the Amazon EKS identity plane, runnable on one laptop or in CI."""

__version__ = "0.1.0"
