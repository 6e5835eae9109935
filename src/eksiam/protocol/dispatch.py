"""Operation -> bound service method, found by name and checked against the model at build time.

Contract (brief, "services"): a service object has one public method per AWS operation, named
``botocore.xform_name(OperationName)``, taking the call context first and then keyword parameters
named ``xform_name(member)`` for the input shape's members. Rules enforced here:

1. Only names of modelled operations are looked up; other public methods are not our business.
2. A method whose parameters do not match its input shape is *drift*: a member without a
   parameter, a parameter without a member, or an optional member whose parameter has no default
   (the call would crash whenever the caller omits it). ``AwsEndpoint`` refuses to start on drift,
   and ``drift(...)`` lets a unit test fail CI first.
3. A modelled operation without a method is answered with ``NotImplemented`` (501) naming it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from botocore import xform_name
from botocore.model import OperationModel, ServiceModel

from eksiam.protocol.models import py_names


class DispatchDrift(Exception):
    """Service methods disagree with the botocore model; the message lists every mismatch."""


def method_for(service: object | None, op: OperationModel, method_name: str) -> Callable[..., Any] | None:
    if service is None:
        return None
    method = getattr(service, method_name, None)
    return method if callable(method) else None


def signature_problems(method: Callable[..., Any], op: OperationModel) -> list[str]:
    """What is wrong with ``method`` as the implementation of ``op`` (empty when it fits)."""
    where = f"{op.service_model.service_name}:{op.name} ({getattr(method, '__qualname__', method)})"
    try:
        params = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return [f"{where}: signature cannot be inspected"]
    if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        return [f"{where}: the first parameter must be the call context, passed positionally"]
    rest = params[1:]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in rest)
    by_name = {p.name: p for p in rest if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    shape = op.input_shape
    required = set(shape.required_members) if shape is not None else set()
    problems = []
    for member, py in py_names(op).items():
        param = by_name.pop(py, None)
        if param is None:
            if not takes_any:
                problems.append(f"{where}: no parameter {py!r} for member {member}")
            continue
        if param.kind is param.POSITIONAL_ONLY:
            problems.append(f"{where}: parameter {py!r} must accept a keyword")
        if member not in required and param.default is param.empty:
            problems.append(f"{where}: optional member {member} needs a default for {py!r}")
    for name, param in by_name.items():
        if param.default is param.empty:
            problems.append(f"{where}: parameter {name!r} is not a member of {op.name}'s input")
        else:
            problems.append(f"{where}: parameter {name!r} has no member in the model")
    return problems


def drift(services: Mapping[str, object | None], models: Mapping[str, ServiceModel]) -> list[str]:
    """Every mismatch between the service objects' methods and their botocore models."""
    problems: list[str] = []
    for name, service in services.items():
        model = models.get(name)
        if model is None or service is None:
            continue
        for op_name in model.operation_names:
            op = model.operation_model(op_name)
            method = method_for(service, op, xform_name(op_name))
            if method is not None:
                problems.extend(signature_problems(method, op))
    return problems
