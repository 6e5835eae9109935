"""Timestamps on the wire: the three formats the AWS protocols use, both directions.

Protocol defaults (Smithy "timestampFormat" trait): Query bodies and query strings use ISO 8601
(``2024-05-01T12:30:00Z``), REST-JSON bodies epoch seconds, HTTP headers the IMF-fixdate
(``Wed, 01 May 2024 12:30:00 GMT``); a shape's ``timestampFormat`` overrides the default. Parsing
accepts any of the three, since clients differ in what they send; naive values are UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

from eksiam.clock import as_utc, utc_z


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    return datetime.fromtimestamp(float(value), UTC)


def iso8601(value: Any) -> str:
    if isinstance(value, str):
        return value
    return _iso8601_of(value if isinstance(value, datetime) else _utc(value))


@lru_cache(maxsize=1024)
def _iso8601_of(value: datetime) -> str:
    """A datetime's wire text (milliseconds truncated), kept: a response's times repeat (every
    session issued in one second expires in the same one). Equal datetimes are the same instant,
    so they share one text."""
    stamp = as_utc(value)
    return utc_z(stamp, milliseconds=bool(stamp.microsecond))


def epoch_seconds(value: Any) -> Any:
    """An integer when whole, else seconds with millisecond fraction (as AWS JSON services send)."""
    if isinstance(value, str):
        return value
    seconds = _utc(value).timestamp()
    return int(seconds) if seconds == int(seconds) else round(seconds, 3)


def http_date(value: Any) -> str:
    if isinstance(value, str):
        return value
    return _utc(value).strftime("%a, %d %b %Y %H:%M:%S GMT")


FORMATTERS: dict[str, Callable[[Any], Any]] = {
    "iso8601": iso8601,
    "unixTimestamp": epoch_seconds,
    "rfc822": http_date,
}


def formatter(trait: str | None, default: str) -> Callable[[Any], Any]:
    return FORMATTERS[trait or default]


def parse_timestamp(text: str) -> datetime:
    """ISO 8601, epoch seconds or an HTTP date; raise ValueError for anything else."""
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        try:
            stamp = datetime.fromtimestamp(float(text), UTC)
        except ValueError:
            try:
                stamp = parsedate_to_datetime(text)
            except (TypeError, IndexError) as exc:
                raise ValueError(text) from exc
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
