"""Marker/MaxItems paging, as every IAM List* operation does it.

AWS: "If IsTruncated is true, this element is present and contains the value to use for the Marker
parameter in a subsequent pagination request" (IAM API reference, Common Parameters). MaxItems
defaults to 100 and the model bounds it to 1..1000. Our marker is the last returned key, base64url
encoded: opaque to clients, and a resumed listing is an index range scan from that key, so a page
costs the same at 1,000 or 100,000 entities.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eksiam.services.iam.errors import InvalidInput
from eksiam.storage import Record, UnitOfWork

DEFAULT_MAX_ITEMS = 100
_SCAN_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Page:
    items: list[tuple[str, Record]]
    is_truncated: bool
    marker: str | None

    def output(self, **members: Any) -> dict[str, Any]:
        """The paged output shape: the listed members, ``IsTruncated``, and ``Marker`` when truncated."""
        out = dict(members)
        out["IsTruncated"] = self.is_truncated
        if self.marker is not None:
            out["Marker"] = self.marker
        return out


def encode_marker(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_marker(marker: str | None) -> str | None:
    if marker is None:
        return None
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidInput("Invalid Marker.") from None


def paginate(
    uow: UnitOfWork,
    kind: str,
    account: str,
    *,
    prefix: str = "",
    marker: str | None = None,
    max_items: int | None = None,
    keep: Callable[[Record], bool] | None = None,
) -> Page:
    """One page of ``kind`` records under ``prefix`` after ``marker``, filtered by ``keep``."""
    limit = max_items or DEFAULT_MAX_ITEMS
    after = decode_marker(marker)
    # Unfiltered, one more row than the page tells whether more follow; filtered, scan in chunks.
    size = limit + 1 if keep is None else max(limit + 1, _SCAN_CHUNK)
    found: list[tuple[str, Record]] = []
    while True:
        chunk = uow.list(kind, account, prefix=prefix, after=after, limit=size)
        for key, record in chunk:
            if keep is None or keep(record):
                if len(found) == limit:
                    return Page(found, True, encode_marker(found[-1][0]))
                found.append((key, record))
        if len(chunk) < size:
            return Page(found, False, None)
        after = chunk[-1][0]


def paginate_by_path(
    uow: UnitOfWork,
    kind: str,
    account: str,
    path_prefix: str | None,
    marker: str | None,
    max_items: int | None,
) -> Page:
    """A List* page of entities whose Path starts with PathPrefix (default ``/``: all of them)."""
    prefix = path_prefix or "/"
    keep = None if prefix == "/" else (lambda record: str(record["Path"]).startswith(prefix))
    return paginate(uow, kind, account, marker=marker, max_items=max_items, keep=keep)


def paginate_list(
    values: list[Any], marker: str | None, max_items: int | None
) -> tuple[list[Any], bool, str | None]:
    """Paging over a list already in memory (tags, client ids): the marker is the position."""
    limit = max_items or DEFAULT_MAX_ITEMS
    start_text = decode_marker(marker)
    try:
        start = int(start_text) if start_text is not None else 0
    except ValueError:
        raise InvalidInput("Invalid Marker.") from None
    page = values[start : start + limit]
    more = start + limit < len(values)
    return page, more, encode_marker(str(start + limit)) if more else None
