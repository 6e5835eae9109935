"""Errors of the policy layer.

Tree::

    PolicyError                      base of everything the engine raises on purpose
     └─ MalformedPolicyDocument      a document IAM would refuse; ``message`` is IAM's own text,
                                     ``path`` the JSON path of the offending element

Services translate ``MalformedPolicyDocument`` into the IAM/STS ``MalformedPolicyDocument`` error
code at their boundary; the policy layer never builds wire errors itself.
"""

from __future__ import annotations


class PolicyError(Exception):
    """Base of the policy layer's errors."""


class MalformedPolicyDocument(PolicyError):
    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(message)
        self.message = message
        self.path = path
