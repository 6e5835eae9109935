"""The three PATCH flavours the API server accepts, chosen by Content-Type.

- ``application/json-patch+json``: RFC 6902 operations.
- ``application/merge-patch+json``: RFC 7386; ``null`` deletes, lists are replaced whole.
- ``application/strategic-merge-patch+json`` (kubectl's default): like a merge patch, except lists
  whose elements carry a merge key (containers, env, volumes, volumeMounts ... by ``name``; ports by
  ``containerPort``) are merged element by element, and ``$patch: delete`` removes an element.
"""

from __future__ import annotations

import json
from typing import Any

import jsonpatch

from eksiam.kube import status

_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "name",
    "imagePullSecrets": "name",
    "secrets": "name",
    "ports": "containerPort",
}

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH)


def _merge(target: Any, patch: Any, strategic: bool, field: str = "") -> Any:
    if isinstance(patch, list) and strategic and field in _MERGE_KEYS and isinstance(target, list):
        return _merge_list(target, patch, _MERGE_KEYS[field])
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value, strategic, key)
    return result


def _merge_list(target: list[Any], patch: list[Any], key: str) -> list[Any]:
    result = list(target)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise status.bad_request(f"map: {item!r} does not contain declared merge key: {key}")
        matches = (i for i, old in enumerate(result) if isinstance(old, dict) and old.get(key) == item[key])
        index = next(matches, None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append(item)
        else:
            result[index] = _merge(result[index], item, True)
    return result


def apply_patch(obj: dict[str, Any], body: bytes, content_type: str) -> dict[str, Any]:
    """The patched object; a malformed patch is a 400/422 Status, never an exception of another type."""
    try:
        patch = json.loads(body)
    except ValueError as exc:
        raise status.bad_request(f"error decoding patch: {exc}") from None
    if content_type == JSON_PATCH:
        try:
            return dict(jsonpatch.apply_patch(obj, patch))
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
            message = f"the server rejected our request due to an error: {exc}"
            raise status.KubeError(422, "Invalid", message) from None
    if not isinstance(patch, dict):
        raise status.bad_request("patch body must be a JSON object")
    merged: dict[str, Any] = _merge(obj, patch, content_type == STRATEGIC_PATCH)
    return merged
