"""IAM policy grammar: element names, versions, and IAM's own messages for documents it refuses.

Messages are IAM's ``MalformedPolicyDocument`` texts as real IAM returns them (shared/spec/iam-rules.md
section 4, which cites the sources). Each rule is one function returning the message for a violation,
or None; validate.py decides which rules apply to which policy kind.

Sizes: IAM counts a policy's characters excluding whitespace against its quotas (IAM User Guide,
"IAM and AWS STS quotas"); ``policy_size`` gives that count so services can enforce their limits.
"""

from __future__ import annotations

import re

VERSION_CURRENT = "2012-10-17"
VERSION_LEGACY = "2008-10-17"
VERSIONS = (VERSION_CURRENT, VERSION_LEGACY)

TOP_LEVEL_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
EXCLUSIVE_PAIRS = (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal"))
PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})

SYNTAX_ERROR = "Syntax errors in policy."
LEGACY_PARSING = "The policy failed legacy parsing"
BAD_VERSION = "Policy document must be version 2012-10-17 or greater."
DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
SID_NOT_ALPHANUMERIC = (
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression "
    "[0-9A-Za-z]*"
)
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_PRINCIPAL = "Missing required field Principal"
PRINCIPAL_NOT_ALLOWED = "Policy document should not specify a principal."
RESOURCE_PROHIBITED = "Has prohibited field Resource."
ACTION_WITHOUT_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ACTION_TWO_COLONS = "Actions/Condition can contain only one colon."

_VENDOR = re.compile(r"^[a-zA-Z0-9\-.*?]+$")
_SID = re.compile(r"^[0-9A-Za-z]*$")
_AWS_PRINCIPAL = re.compile(r"^(\d{12}|arn:[a-z-]+:(iam|sts)::[^:]+:.+|A[A-Z]{3}[A-Z0-9]{12,})$")
_WHITESPACE = re.compile(r"\s")
_ALLOWED_CHARACTERS = re.compile("^[\t\n\r\u0020-\u00ff]*$")


def version_problem(version: str | None) -> str | None:
    """A missing Version is accepted (read as 2008-10-17); any other text than the two is refused."""
    return None if version is None or version in VERSIONS else BAD_VERSION


def action_problem(action: str) -> str | None:
    if action == "*":
        return None
    parts = action.split(":")
    if len(parts) == 1:
        return ACTION_WITHOUT_VENDOR
    if len(parts) > 2:
        return ACTION_TWO_COLONS
    if not _VENDOR.match(parts[0]):
        return f"Vendor {parts[0]} is not valid"
    return None


def resource_problem(resource: str) -> str | None:
    if resource == "*" or ":" in resource:
        return None
    return f'Resource {resource} must be in ARN format or "*".'


def principal_problem(kind: str, value: str) -> str | None:
    """An AWS principal is ``*``, an account id, an IAM/STS ARN, or a unique id IAM kept for a
    deleted entity; wildcards inside it are refused (IAM User Guide, "AWS JSON policy elements:
    Principal": "You cannot use a wildcard to match part of a principal name or ARN")."""
    if kind != "AWS" or value == "*":
        return None
    if "*" in value or "?" in value or not _AWS_PRINCIPAL.match(value):
        return f'Invalid principal in policy: "{kind}":"{value}"'
    return None


def condition_key_problem(key: str) -> str | None:
    """Condition keys, like actions, carry a vendor prefix (``aws:``, ``s3:``, an IdP host)."""
    return None if ":" in key.strip(":") else ACTION_WITHOUT_VENDOR


def characters_problem(text: str) -> str | None:
    """Policy text may hold only tab, LF, CR and U+0020-U+00FF (IAM API, ``policyDocumentType``)."""
    return None if _ALLOWED_CHARACTERS.match(text) else SYNTAX_ERROR


def sid_problem(sid: str) -> str | None:
    return None if _SID.match(sid) else SID_NOT_ALPHANUMERIC


def policy_size(text: str) -> int:
    """Characters excluding whitespace, the measure IAM applies to policy quotas."""
    return len(_WHITESPACE.sub("", text))
