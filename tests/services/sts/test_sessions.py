"""Session records: key ids that carry their account, and purging long-expired sessions."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eksiam.services.sts import account_of_key_id, find_session
from eksiam.services.sts.sessions import SESSION, SessionWriter, encode_key_id, store_sessions
from eksiam.storage import AlreadyExists, Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("account", ["000000000000", "123456789012", "999999999999", "000000000001"])
def test_a_key_id_carries_its_account(account: str) -> None:
    for prefix in ("ASIA", "AKIA"):
        key_id = encode_key_id(prefix, account)
        assert re.fullmatch(prefix + r"[A-Z2-7]{16}", key_id)
        assert account_of_key_id(key_id) == account


@pytest.mark.parametrize("key_id", ["", "ASIA", "ASIA0000000000000000", "ASIAAAAAAAAAAAAAAAAAAAA", "AKIA-x"])
def test_key_ids_of_another_shape_have_no_account(key_id: str) -> None:
    assert account_of_key_id(key_id) is None


def record(akid: str, expires: datetime) -> dict[str, Any]:
    return {"AccessKeyId": akid, "Expiration": expires.isoformat(), "Account": "123456789012"}


def test_sessions_expired_over_a_day_ago_are_purged_when_new_ones_are_written(store: Store) -> None:
    old = record("ASIAB0000000000000OLD", NOW - timedelta(days=1, seconds=1))
    recent = record("ASIAB0000000000000REC", NOW - timedelta(hours=23))
    store.write(lambda uow: store_sessions(uow, [old, recent], NOW - timedelta(days=3)))
    fresh = record("ASIAA0000000000000NEW", NOW + timedelta(hours=1))  # sorts before both
    store.write(lambda uow: store_sessions(uow, [fresh], NOW))
    kept = [key for key, _ in store.read(lambda uow: uow.list(SESSION, ""))]
    assert kept == ["ASIAA0000000000000NEW", "ASIAB0000000000000REC"]
    # A purged session is gone for good; a recently expired one still resolves (for ExpiredToken).
    assert store.read(lambda uow: find_session(uow, "ASIAB0000000000000OLD")) is None
    assert store.read(lambda uow: find_session(uow, "ASIAB0000000000000REC")) is not None


def test_concurrent_sessions_are_all_committed_by_group_commit(store: Store) -> None:
    writer = SessionWriter(store)
    keys = [encode_key_id("ASIA", "123456789012") for _ in range(48)]
    errors: list[BaseException] = []

    def issue(akid: str) -> None:
        try:
            writer.write(record(akid, NOW + timedelta(hours=1)), NOW)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(k,)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = {key for key, _ in store.read(lambda uow: uow.list(SESSION, ""))}
    assert stored == set(keys)


def test_a_failed_commit_fails_the_sessions_it_carried(store: Store) -> None:
    writer = SessionWriter(store)
    taken = encode_key_id("ASIA", "123456789012")
    writer.write(record(taken, NOW + timedelta(hours=1)), NOW)
    with pytest.raises(AlreadyExists):
        writer.write(record(taken, NOW + timedelta(hours=2)), NOW)
    stored = store.read(lambda uow: find_session(uow, taken))
    assert stored is not None and stored["Expiration"] == (NOW + timedelta(hours=1)).isoformat()
