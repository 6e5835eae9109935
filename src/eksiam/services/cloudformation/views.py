"""Output shapes built from stack records ("DescribeStacks", "DescribeStackEvents",
"DescribeStackResources", "ListStacks" API reference). NoEcho parameters read back as ``****``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eksiam.storage import Record


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _optional(out: dict[str, Any], record: Record, *names: str, time: bool = False) -> None:
    for name in names:
        if record.get(name) is not None:
            out[name] = when(record[name]) if time else record[name]


def parameters(stack: Record) -> list[dict[str, str]]:
    hidden = set(stack.get("noEcho") or ())
    return [
        {
            "ParameterKey": p["ParameterKey"],
            "ParameterValue": "****" if p["ParameterKey"] in hidden else p["ParameterValue"],
        }
        for p in stack.get("Parameters") or []
    ]


def stack(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "StackId": record["StackId"],
        "StackName": record["StackName"],
        "CreationTime": when(record["CreationTime"]),
        "StackStatus": record["StackStatus"],
        "DisableRollback": bool(record.get("DisableRollback")),
        "NotificationARNs": list(record.get("NotificationARNs") or []),
        "Tags": list(record.get("Tags") or []),
        "EnableTerminationProtection": bool(record.get("EnableTerminationProtection")),
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    _optional(out, record, "Description", "StackStatusReason", "ChangeSetId", "RoleARN")
    _optional(out, record, "LastUpdatedTime", "DeletionTime", time=True)
    if record.get("Parameters"):
        out["Parameters"] = parameters(record)
    if record.get("Capabilities"):
        out["Capabilities"] = list(record["Capabilities"])
    if record.get("Outputs"):
        out["Outputs"] = list(record["Outputs"])
    return out


def summary(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "StackId": record["StackId"],
        "StackName": record["StackName"],
        "CreationTime": when(record["CreationTime"]),
        "StackStatus": record["StackStatus"],
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    _optional(out, record, "StackStatusReason")
    if record.get("Description") is not None:
        out["TemplateDescription"] = record["Description"]
    _optional(out, record, "LastUpdatedTime", "DeletionTime", time=True)
    return out


def event(stack_record: Record, item: Record) -> dict[str, Any]:
    out = {
        "StackId": stack_record["StackId"],
        "StackName": stack_record["StackName"],
        **{k: v for k, v in item.items() if k != "Timestamp"},
        "Timestamp": when(item["Timestamp"]),
    }
    return out


def resource(stack_record: Record, item: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "StackName": stack_record["StackName"],
        "StackId": stack_record["StackId"],
        "LogicalResourceId": item["LogicalResourceId"],
        "ResourceType": item["ResourceType"],
        "Timestamp": when(item["Timestamp"]),
        "ResourceStatus": item["ResourceStatus"],
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }
    _optional(out, item, "PhysicalResourceId", "ResourceStatusReason")
    return out


def resource_detail(stack_record: Record, item: Record) -> dict[str, Any]:
    out = resource(stack_record, item)
    out["LastUpdatedTimestamp"] = out.pop("Timestamp")
    out["Metadata"] = "{}"
    return out


def resource_summary(item: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LogicalResourceId": item["LogicalResourceId"],
        "ResourceType": item["ResourceType"],
        "LastUpdatedTimestamp": when(item["Timestamp"]),
        "ResourceStatus": item["ResourceStatus"],
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }
    _optional(out, item, "PhysicalResourceId", "ResourceStatusReason")
    return out
