"""Time as an injected dependency, so expiry, clock skew and tests never read the wall clock directly;
and the ISO 8601 text of UTC times, which every issued session and every response carries.

CPython's ``datetime.isoformat`` builds its text through ``PyUnicode_FromFormat``: about 12,000
instructions a call, a tenth of an unsigned GetCallerIdentity. ``session_times`` and ``utc_z`` give
the same text from a cache of each second's ``YYYY-MM-DDTHH:MM:SS``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.fromtimestamp(int(time.time()), UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        self._now = when


@lru_cache(maxsize=64)
def _second_text(year: int, month: int, day: int, hour: int, minute: int, second: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"


def session_times(now: datetime, seconds: int, epoch: float) -> tuple[str, str]:
    """What a session records: ``now.isoformat()``, and the ISO text of ``seconds`` later, whole
    seconds (``...+00:00``). The two come from one epoch second (``epoch`` is ``now``'s, which the
    caller has at hand) and a cache of each second's text."""
    if now.tzinfo is not UTC:
        return now.isoformat(), (now + timedelta(seconds=seconds)).replace(microsecond=0).isoformat()
    whole = int(epoch)  # a double resolves microseconds this side of the year 2100
    text = _epoch_text(whole)
    micro = now.microsecond
    issued = f"{text}.{micro:06d}+00:00" if micro else text + "+00:00"
    return issued, _epoch_text(whole + seconds) + "+00:00"


@lru_cache(maxsize=256)
def _epoch_text(seconds: int) -> str:
    return _second_text(*time.gmtime(seconds)[:6])


def as_utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive datetime is taken to be UTC already."""
    if when.tzinfo is UTC:
        return when
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def utc_z(when: datetime, *, milliseconds: bool = False) -> str:
    """``when`` in UTC as ``YYYY-MM-DDTHH:MM:SSZ``, or with ``.mmm`` (truncated) before the ``Z``."""
    when = as_utc(when)
    text = _second_text(when.year, when.month, when.day, when.hour, when.minute, when.second)
    return f"{text}.{when.microsecond // 1000:03d}Z" if milliseconds else text + "Z"
