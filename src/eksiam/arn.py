"""Amazon Resource Names: parse, format, and the partition facts that go with them.

An ARN is ``arn:partition:service:region:account-id:resource``; the resource part keeps its own
``:`` and ``/`` (``role/path/name``, ``assumed-role/name/session``). Parsing never guesses: a string
with fewer than six colon-separated fields is not an ARN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PARTITIONS = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}
ACCOUNT_ID = re.compile(r"^\d{12}$")
_TYPE_SPLIT = re.compile(r"[/:]")


class InvalidArn(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn:
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
            raise InvalidArn(f"{text!r} is not a valid ARN")
        return cls(parts[1], parts[2], parts[3], parts[4], parts[5])

    @property
    def resource_type(self) -> str:
        """``role`` for ``role/path/name``; the whole resource when it has no type prefix."""
        return _TYPE_SPLIT.split(self.resource, maxsplit=1)[0]

    @property
    def resource_id(self) -> str:
        """Everything after the type prefix (``path/name`` for IAM entities)."""
        parts = _TYPE_SPLIT.split(self.resource, maxsplit=1)
        return parts[1] if len(parts) == 2 else ""

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def is_arn(text: str) -> bool:
    try:
        Arn.parse(text)
    except InvalidArn:
        return False
    return True


def iam_arn(account: str, kind: str, name: str, path: str = "/", partition: str = "aws") -> str:
    """``arn:aws:iam::123456789012:role/path/name``; path is the IAM path with its slashes."""
    return f"arn:{partition}:iam::{account}:{kind}{path}{name}"


def sts_assumed_role_arn(account: str, role_name: str, session: str, partition: str = "aws") -> str:
    return f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"
