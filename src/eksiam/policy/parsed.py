"""Parsed policies: a validated document, its kind, and its compiled form, cached by content.

``parse_policy`` is the one way in. Parsing the same text (or the same mapping) again as the same
kind returns the cached document and compiled form; only the ``policy_id`` label is new. A mapping is
hashed through its canonical JSON (sorted keys), text through its exact bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from eksiam.policy.compiled import CompiledPolicy
from eksiam.policy.document import PolicyDocument, build, load_json
from eksiam.policy.errors import MalformedPolicyDocument
from eksiam.policy.validate import PolicyKind, check_document


@dataclass(frozen=True, slots=True)
class Policy:
    document: PolicyDocument
    kind: PolicyKind
    policy_id: str
    digest: str
    compiled: CompiledPolicy = field(repr=False, compare=False)


@lru_cache(maxsize=8192)
def _parse(text: str | bytes, kind: PolicyKind) -> tuple[PolicyDocument, CompiledPolicy, str]:
    document = build(load_json(text))
    errors = check_document(document, kind)
    if errors:
        raise MalformedPolicyDocument(errors[0].message, errors[0].path)
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return document, CompiledPolicy(document), hashlib.sha256(raw).hexdigest()


def _canonical(document: Mapping[str, Any]) -> str:
    try:
        return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as error:
        raise MalformedPolicyDocument("Syntax errors in policy.") from error


def parse_policy(
    document: str | bytes | Mapping[str, Any], kind: PolicyKind = PolicyKind.IDENTITY, *, policy_id: str = ""
) -> Policy:
    """Validate (errors only) and compile a policy; raises MalformedPolicyDocument with IAM's text."""
    kind = PolicyKind(kind)
    if isinstance(document, Mapping):
        text: str | bytes = _canonical(document)
    elif isinstance(document, str | bytes):
        text = document
    else:
        raise MalformedPolicyDocument("Syntax errors in policy.")
    parsed, compiled, digest = _parse(text, kind)
    return Policy(parsed, kind, policy_id or f"sha256:{digest[:16]}", digest, compiled)
