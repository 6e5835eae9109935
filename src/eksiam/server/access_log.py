"""Structured access log: one JSON object per AWS request on the ``eksiam.access`` logger.

Rule: the line holds what an operator needs to trace a call and nothing a thief could use. The
caller appears as the first eight characters of its access key id (enough to tell keys apart in a
log, not enough to use); the Authorization header, security tokens, secrets, signatures and query
strings (presigned URLs carry signatures there) are never read here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

logger = logging.getLogger("eksiam.access")

AKID_PREFIX_LENGTH = 8


@dataclass(frozen=True, slots=True)
class AccessRecord:
    method: str
    path: str
    service: str
    operation: str
    status: int
    code: str
    duration_ms: float
    request_id: str
    caller: str
    source_ip: str


def akid_prefix(access_key_id: str | None) -> str:
    return access_key_id[:AKID_PREFIX_LENGTH] if access_key_id else ""


def access_log_enabled() -> bool:
    """Checked before a record is built, so ``--no-access-log`` costs nothing per request."""
    return logger.isEnabledFor(logging.INFO)


def log_access(record: AccessRecord) -> None:
    logger.info(json.dumps(asdict(record), separators=(",", ":")))
