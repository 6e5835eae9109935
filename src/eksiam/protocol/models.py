"""botocore service models, loaded once, and the facts about a service the wire needs.

The models are botocore 1.43.11's (pinned in pyproject.toml): they are the single source of
operation names, shapes, traits, HTTP bindings and error codes. Everything here is computed at
start-up and is immutable afterwards, so request threads share it without locks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

SERVICE_NAMES = ("iam", "sts", "eks", "eks-auth", "cloudformation")


@cache
def _session() -> Any:
    return botocore.session.get_session()


@cache
def service_model(name: str) -> ServiceModel:
    model: ServiceModel = _session().get_service_model(name)
    return model


def error_code(shape: Shape) -> str:
    """The wire code of an error shape: ``error.code`` when modelled (IAM's ``NoSuchEntity`` for the
    ``NoSuchEntityException`` shape), else the shape name (EKS's ``ResourceNotFoundException``)."""
    error = shape.metadata.get("error") or {}
    code: str = error.get("code") or shape.name
    return code


def error_status(shape: Shape) -> int:
    error = shape.metadata.get("error") or {}
    return int(error.get("httpStatusCode") or (500 if shape.metadata.get("fault") else 400))


def lower_camel(name: str) -> str:
    """Member names as AWS validation messages print them (``RoleName`` -> ``roleName``)."""
    return name[:1].lower() + name[1:]


def wire_name(member: Shape, default: str) -> str:
    name: str = member.serialization.get("name") or default
    return name


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    name: str
    model: ServiceModel
    protocol: str
    signing_name: str
    api_version: str
    service_id: str
    xml_namespace: str
    errors_by_code: Mapping[str, StructureShape]
    validation_code: str

    def error_shape(self, code: str) -> StructureShape | None:
        return self.errors_by_code.get(code)


@cache
def service_info(name: str) -> ServiceInfo:
    return info_for(service_model(name))


def info_for(model: ServiceModel) -> ServiceInfo:
    """The wire facts of any botocore ServiceModel (tests build synthetic ones)."""
    name = model.service_name
    errors = {error_code(shape): shape for shape in model.error_shapes}
    if model.protocol == "query":
        validation = "ValidationError"
    else:
        # REST-JSON services answer model violations with their modelled validation error.
        validation = next(
            (c for c in ("ValidationException", "InvalidParameterException") if c in errors),
            "ValidationException",
        )
    return ServiceInfo(
        name=name,
        model=model,
        protocol=model.protocol,
        signing_name=model.signing_name,
        api_version=model.api_version,
        service_id=str(model.service_id),
        xml_namespace=model.metadata.get("xmlNamespace", ""),
        errors_by_code=errors,
        validation_code=validation,
    )


@dataclass(frozen=True, slots=True)
class OperationPlan:
    """Everything the request path needs for one operation, compiled once.

    ``parse`` and ``serialize`` are the protocol's compiled closures; ``check`` runs the model's
    constraints (None when the input has none); ``py_names`` maps top-level member names to the
    keyword names of the service method (``RoleName`` -> ``role_name``).
    """

    service: ServiceInfo
    name: str
    model: OperationModel
    method_name: str
    unsigned: bool
    parse: Callable[..., dict[str, Any]]
    serialize: Callable[..., Any]
    check: Callable[[Mapping[str, Any]], list[str]] | None
    py_names: Mapping[str, str]


def is_unsigned(op: OperationModel) -> bool:
    """True when the model lets callers omit SigV4 (``authtype: none`` / ``smithy.api#noAuth``),
    as for sts:AssumeRoleWithWebIdentity and sts:AssumeRoleWithSAML."""
    return op.auth_type == "none" or "smithy.api#noAuth" in (op.auth or ())


def py_names(op: OperationModel) -> dict[str, str]:
    shape = op.input_shape
    return {name: xform_name(name) for name in shape.members} if shape is not None else {}
