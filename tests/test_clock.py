"""The fast ISO 8601 text of clock.py gives exactly what ``datetime`` itself would."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from eksiam.clock import session_times, utc_z


def _moments() -> list[datetime]:
    rng = random.Random(7)
    start = datetime(1970, 1, 1, tzinfo=UTC)
    moments = [
        start + timedelta(seconds=rng.randrange(4_102_444_800), microseconds=rng.randrange(10**6))
        for _ in range(300)
    ]
    moments += [m.replace(microsecond=0) for m in moments[:100]]
    moments += [datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC)]
    return moments


@pytest.mark.parametrize("when", _moments())
def test_session_times_are_isoformat_of_now_and_of_its_whole_second_later(when: datetime) -> None:
    for seconds in (900, 3600, 43200, 129600):
        later = (when + timedelta(seconds=seconds)).replace(microsecond=0)
        assert session_times(when, seconds, when.timestamp()) == (when.isoformat(), later.isoformat())


@pytest.mark.parametrize("when", _moments())
def test_utc_z_is_the_utc_time_with_a_z(when: datetime) -> None:
    assert utc_z(when) == when.isoformat(timespec="seconds").removesuffix("+00:00") + "Z"
    millis = when.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"
    assert utc_z(when, milliseconds=True) == millis


def test_other_zones_and_naive_times() -> None:
    eastern = datetime(2026, 3, 1, 7, 30, 15, 250000, tzinfo=timezone(timedelta(hours=-5)))
    later = datetime(2026, 3, 1, 8, 30, 15, tzinfo=eastern.tzinfo)
    # not UTC: as it is
    assert session_times(eastern, 3600, eastern.timestamp()) == (eastern.isoformat(), later.isoformat())
    assert utc_z(eastern) == "2026-03-01T12:30:15Z"
    assert utc_z(eastern, milliseconds=True) == "2026-03-01T12:30:15.250Z"
    assert utc_z(datetime(2026, 3, 1, 7, 30, 15)) == "2026-03-01T07:30:15Z"  # naive means UTC
