"""CallContext.epoch: the request's time as a number, the same whatever zone ``now`` is given in."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

from eksiam.services.context import CallContext

WHEN = datetime(2026, 12, 7, 9, 30, 15, 250000, tzinfo=UTC)


def context(now: datetime) -> CallContext:
    return CallContext(account="123456789012", region="us-east-1", request_id="r", now=now)


def test_epoch_is_the_posix_time_of_now() -> None:
    assert context(WHEN).epoch() == 1796635815.25
    eastern = WHEN.astimezone(timezone(timedelta(hours=-5)))
    assert context(eastern).epoch() == 1796635815.25


def test_a_naive_now_is_utc_not_local_time() -> None:
    assert context(WHEN.replace(tzinfo=None)).epoch() == 1796635815.25


def test_a_replaced_context_works_out_its_own_time() -> None:
    first = context(WHEN)
    assert first.epoch() == 1796635815.25
    later = dataclasses.replace(first, now=WHEN + timedelta(seconds=10))
    assert later.epoch() == 1796635825.25
