"""The rules every new role session follows, whichever operation creates it.

Sources: STS API Reference "AssumeRole" and "AssumeRoleWithWebIdentity" (parameter constraints),
IAM User Guide "Passing session tags in AWS STS" and "IAM and AWS STS quotas".

Rule 1 - DurationSeconds is 900 seconds up to the role's MaxSessionDuration (default 3600), and at
most 3600 when the caller is itself a role session (role chaining), whatever the role allows.
Rule 2 - RoleSessionName and SourceIdentity are 2-64 characters of ``[\\w+=,.@-]``; a source
identity may not start with ``aws:``. Once a session has a source identity, chained sessions keep it.
Rule 3 - at most 50 session tags; keys 1-128 and values 0-256 characters of letters, digits, spaces
and ``_.:/=+-@``; keys are case-insensitive, so two keys that differ only in case are a conflict, as
is a requested key equal to an inherited transitive key. Transitive keys must name requested tags.
Rule 4 - session policies, policy ARNs and tags are packed (compressed) into the session token,
which has its own limit; the response's PackedPolicySize is the percentage used, and over 100 the
request fails with PackedPolicyTooLarge. AWS does not publish the packing; eksiam packs with zlib
against a 2048-byte budget, which keeps the documented limits (a 2048-character policy, 50 short
tags) well inside it.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from eksiam.services.sts.errors import PackedPolicyTooLarge, ValidationError

MIN_DURATION = 900
DEFAULT_DURATION = 3600
CHAINED_MAX_DURATION = 3600
MAX_TAGS = 50
PACKED_BUDGET = 2048

_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_TAG_TEXT = re.compile(r"^[\w.:/=+\-@ ]*$", re.UNICODE)


def check_name(value: str, field: str) -> str:
    if not _NAME.match(value):
        raise ValidationError.constraint(
            value, field, "Member must satisfy regular expression pattern: [\\w+=,.@-]* and length 2-64"
        )
    return value


def check_source_identity(value: str | None, inherited: str | None) -> str | None:
    if value is None:
        return inherited
    check_name(value, "sourceIdentity")
    if value.lower().startswith("aws:"):
        raise ValidationError.constraint(value, "sourceIdentity", "Member must not begin with 'aws:'")
    if inherited is not None and inherited != value:
        raise ValidationError(
            "Source identity cannot be changed: the calling session already carries source identity "
            f"{inherited}."
        )
    return value


def session_duration(requested: int | None, role_max: int, chained: bool) -> int:
    duration = DEFAULT_DURATION if requested is None else requested
    if duration < MIN_DURATION:
        raise ValidationError.constraint(
            duration, "durationSeconds", f"Member must have value greater than or equal to {MIN_DURATION}"
        )
    if chained and duration > CHAINED_MAX_DURATION:
        raise ValidationError.duration_over_chain_max()
    if duration > role_max:
        raise ValidationError.duration_over_role_max()
    return duration


def merge_tags(
    requested: Sequence[Mapping[str, str]],
    transitive_keys: Sequence[str],
    inherited: Sequence[Mapping[str, str]],
    inherited_transitive: Sequence[str],
) -> tuple[list[dict[str, str]], list[str]]:
    """The session's tags and its (lower-cased) transitive keys, after the rule 3 checks."""
    if not requested and not transitive_keys and not inherited and not inherited_transitive:
        return [], []
    if len(requested) > MAX_TAGS:
        raise ValidationError.constraint(
            "tags", "tags", f"Member must have length less than or equal to {MAX_TAGS}"
        )
    seen: dict[str, str] = {}
    for tag in requested:
        key, value = tag.get("Key", ""), tag.get("Value", "")
        if not 1 <= len(key) <= 128 or not _TAG_TEXT.match(key) or key.lower().startswith("aws:"):
            raise ValidationError.constraint(key, "tags.member.key", "Member must be a valid tag key")
        if len(value) > 256 or not _TAG_TEXT.match(value):
            raise ValidationError.constraint(value, "tags.member.value", "Member must be a valid tag value")
        if key.lower() in seen:
            raise ValidationError("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen[key.lower()] = key
    inherited_keys = {k.lower() for k in inherited_transitive}
    clash = sorted(inherited_keys & seen.keys())
    if clash:
        raise ValidationError(
            f"The session tag key {seen[clash[0]]} conflicts with a transitive tag key inherited from the "
            "calling session."
        )
    for key in transitive_keys:
        if key.lower() not in seen:
            raise ValidationError(
                f"The transitive tag key {key} is not among the session tags of this request."
            )
    carried = [dict(t) for t in inherited if t["Key"].lower() in inherited_keys]
    tags = carried + [{"Key": t["Key"], "Value": t.get("Value", "")} for t in requested]
    transitive = sorted(inherited_keys | {k.lower() for k in transitive_keys})
    return tags, transitive


def packed_policy_size(
    policy: str | None, policy_arns: Sequence[str], tags: Sequence[Mapping[str, str]]
) -> int | None:
    """Rule 4: the percentage of the packed budget used, None when nothing is packed."""
    if policy is None and not policy_arns and not tags:
        return None
    minified = json.dumps(json.loads(policy), separators=(",", ":")) if policy is not None else ""
    policy_part = _packed(minified, list(policy_arns))
    tag_part = _packed([[t["Key"], t.get("Value", "")] for t in tags])
    tags_percent = _percent(tag_part)
    if tags and tags_percent > 100:
        raise PackedPolicyTooLarge.tags(tags_percent)
    total = _percent(policy_part + tag_part)
    if total > 100:
        raise PackedPolicyTooLarge.policy(total)
    return total


def _packed(*parts: Any) -> int:
    return len(zlib.compress(json.dumps(parts, separators=(",", ":")).encode(), 9))


def _percent(size: int) -> int:
    return math.ceil(size * 100 / PACKED_BUDGET)
