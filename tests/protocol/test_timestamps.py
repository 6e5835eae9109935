"""Timestamps in the three wire formats, both directions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from eksiam.protocol.timestamps import epoch_seconds, http_date, iso8601, parse_timestamp

STAMP = datetime(2024, 5, 1, 12, 30, 5, tzinfo=UTC)


def test_formats_are_utc_whatever_the_input_zone() -> None:
    local = STAMP.astimezone(timezone(timedelta(hours=2)))
    assert iso8601(local) == "2024-05-01T12:30:05Z"
    assert iso8601(STAMP.replace(microsecond=250_000)) == "2024-05-01T12:30:05.250Z"
    assert epoch_seconds(local) == 1714566605
    assert epoch_seconds(STAMP.replace(microsecond=250_000)) == 1714566605.25
    assert http_date(local) == "Wed, 01 May 2024 12:30:05 GMT"
    assert iso8601(datetime(2024, 5, 1, 12, 30, 5)) == "2024-05-01T12:30:05Z"  # naive means UTC


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T12:30:05Z",
        "2024-05-01T14:30:05+02:00",
        "2024-05-01T12:30:05",
        "1714566605",
        "Wed, 01 May 2024 12:30:05 GMT",
    ],
)
def test_parse_accepts_every_wire_format(text: str) -> None:
    assert parse_timestamp(text) == STAMP


@pytest.mark.parametrize("text", ["yesterday", "", "2024-13-01T00:00:00Z"])
def test_parse_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)
