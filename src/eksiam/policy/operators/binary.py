"""BinaryEquals (IAM User Guide, "Condition operators", "Binary condition operators").

The policy value is the base-64 encoding of the bytes; the request carries the same encoding. Both
are decoded and compared as bytes; text that is not base-64 matches nothing.
"""

from __future__ import annotations

import base64
import binascii
import operator

from eksiam.policy.operators.family import Family
from eksiam.policy.wildcards import unmark


def read_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(unmark(text), validate=True)
    except (binascii.Error, ValueError):
        return None


FAMILIES = {"BinaryEquals": Family("BinaryEquals", False, read_binary, read_binary, operator.eq)}
