"""Server-side printing (``Accept: application/json;as=Table;g=meta.k8s.io;v=v1``), as kubectl asks.

Columns follow kube-apiserver's printers for the resources we serve (NAME ... AGE), so ``kubectl get``
output looks as it does against EKS.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

Obj = dict[str, Any]


def _age(obj: Obj, now: datetime) -> str:
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    seconds = int((now - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * 2 or (unit == "m" and seconds >= 120):
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _pod_cells(obj: Obj) -> list[Any]:
    containers = obj.get("spec", {}).get("containers") or []
    return [f"0/{len(containers)}", obj.get("status", {}).get("phase", "Pending"), 0]


_EXTRA: dict[str, tuple[list[dict[str, str]], Callable[[Obj], list[Any]]]] = {
    "pods": (
        [
            {"name": "Ready", "type": "string", "format": ""},
            {"name": "Status", "type": "string", "format": ""},
            {"name": "Restarts", "type": "integer", "format": ""},
        ],
        _pod_cells,
    ),
    "namespaces": (
        [{"name": "Status", "type": "string", "format": ""}],
        lambda o: [o.get("status", {}).get("phase")],
    ),
    "configmaps": ([{"name": "Data", "type": "integer", "format": ""}], lambda o: [len(o.get("data") or {})]),
    "serviceaccounts": (
        [{"name": "Secrets", "type": "integer", "format": ""}],
        lambda o: [len(o.get("secrets") or [])],
    ),
    "events": (
        [
            {"name": "Type", "type": "string", "format": ""},
            {"name": "Reason", "type": "string", "format": ""},
            {"name": "Message", "type": "string", "format": ""},
        ],
        lambda o: [o.get("type", ""), o.get("reason", ""), o.get("message", "")],
    ),
}


def as_table(resource: str, items: list[Obj], version: str, now: datetime) -> Obj:
    extra_columns, cells = _EXTRA.get(resource, ([], lambda o: []))
    columns = [{"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}]
    columns += [dict(c, description=c["name"], priority=0) for c in extra_columns]
    columns.append({"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0})
    rows = [
        {
            "cells": [obj["metadata"]["name"], *cells(obj), _age(obj, now)],
            "object": {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            },
        }
        for obj in items
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": version},
        "columnDefinitions": columns,
        "rows": rows,
    }
