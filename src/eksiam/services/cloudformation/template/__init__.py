"""CloudFormation templates without AWS: decoding (JSON, YAML short forms), intrinsic functions,
conditions, parameters and dependency order. Pure: no storage, no clock, no services."""

from __future__ import annotations

from eksiam.services.cloudformation.template import lint
from eksiam.services.cloudformation.template.document import decode
from eksiam.services.cloudformation.template.errors import TemplateError
from eksiam.services.cloudformation.template.intrinsics import (
    Scope,
    imported_names,
    resolve,
)
from eksiam.services.cloudformation.template.parameters import ParameterValue
from eksiam.services.cloudformation.template.plan import Plan, Pseudo, check_references, prepare

__all__ = [
    "ParameterValue",
    "Plan",
    "Pseudo",
    "Scope",
    "TemplateError",
    "check_references",
    "decode",
    "imported_names",
    "lint",
    "prepare",
    "resolve",
]
