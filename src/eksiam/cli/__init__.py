"""The ``eksiam`` command line; each command group lives in a module of its own."""

from eksiam.cli.main import app, main

__all__ = ["app", "main"]
