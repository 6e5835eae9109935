"""The template package's one error: a message worded as CloudFormation's ValidationError text.

The service turns it into a ``ValidationError`` on the wire (template and parameter problems are
reported synchronously by CreateStack, UpdateStack, CreateChangeSet and ValidateTemplate).
"""

from __future__ import annotations


class TemplateError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
