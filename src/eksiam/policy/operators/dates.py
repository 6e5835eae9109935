"""Date condition operators (IAM User Guide, "Condition operators", "Date condition operators").

Values are ISO 8601 dates/date-times (a date alone is midnight UTC; no zone means UTC) or epoch
seconds ("You must specify a date with one of the W3C implementations of the ISO 8601 date formats
or in epoch (UNIX) time"). Both sides are compared as epoch seconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

from eksiam.policy.operators.family import ordered_families
from eksiam.policy.wildcards import unmark

_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


@lru_cache(maxsize=8192)  # dates repeat across requests (aws:CurrentTime per second, token times)
def read_date(text: str) -> float | None:
    text = unmark(text).strip()
    if _EPOCH.match(text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" and text else text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


FAMILIES = ordered_families("Date", read_date)
