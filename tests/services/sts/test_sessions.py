"""Sessions: key ids that carry their account, and tokens that carry the session (session_tokens.py)."""

from __future__ import annotations

import base64
import os
import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from eksiam.services.sts import SessionTokens, account_of_key_id, sessions
from eksiam.services.sts.session_tokens import TOKEN_KEY
from eksiam.services.sts.sessions import NewCredentials, encode_key_id
from eksiam.storage import Store, open_store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("account", ["000000000000", "123456789012", "999999999999", "000000000001"])
def test_a_key_id_carries_its_account(account: str) -> None:
    for prefix in ("ASIA", "AKIA"):
        key_id = encode_key_id(prefix, account, os.urandom(8))
        assert re.fullmatch(prefix + r"[A-Z2-7]{16}", key_id)
        assert account_of_key_id(key_id) == account


@pytest.mark.parametrize(
    "random",
    [b"\x00" * 8, b"\xff" * 8, b"\x80\x01\x02\x03\x04\x05\x06\x07", b"\x7f\xfe\xdc\xba\x98\x76\x54\x32"],
)
def test_a_key_id_is_the_base32_of_its_ten_bytes(random: bytes) -> None:
    # bits 46..7 of the first six bytes hold the account (AWS's layout); bit 47 and bits 6..3 are
    # the first byte's low 5 bits, and each further 5 bits the low 5 bits of one more byte
    account = "123456789012"
    low = [byte & 31 for byte in random]
    tail = 0
    for five in low[1:8]:
        tail = tail << 5 | five
    value = (low[0] >> 4) << 79 | int(account) << 39 | (low[0] & 15) << 35 | tail
    assert (
        encode_key_id("ASIA", account, random)
        == "ASIA" + base64.b32encode(value.to_bytes(10, "big")).decode()
    )


def test_key_ids_differ_in_all_their_random_bits() -> None:
    ids = {encode_key_id("ASIA", "123456789012", os.urandom(8)) for _ in range(2000)}
    assert len(ids) == 2000
    assert len({key[4] for key in ids}) == 2  # character 0: bit 47 random, the rest the account
    assert len({key[5:12] for key in ids}) == 1  # characters 1-7: the account alone
    assert len({key[12] for key in ids}) == 16  # character 8: account bit 0 and 4 random bits
    assert all(len({key[i] for key in ids}) == 32 for i in range(13, 20))  # wholly random


def test_new_credentials_drawn_in_batches_are_each_whole_and_new() -> None:
    # three batches and some: every key id is an ASIA id of its account with the same random
    # layout as encode_key_id, every secret 40 characters of base64 from 30 bytes, none repeats
    made = [NewCredentials.generate("123456789012") for _ in range(3 * sessions._BATCH + 5)]
    for creds in made:
        assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds.access_key_id)
        assert account_of_key_id(creds.access_key_id) == "123456789012"
        assert len(base64.b64decode(creds.secret_access_key, validate=True)) == 30
        assert len(creds.secret_access_key) == 40 and "=" not in creds.secret_access_key
    assert len({c.access_key_id for c in made}) == len(made)
    assert len({c.secret_access_key for c in made}) == len(made)
    assert "secret_access_key" not in repr(made[0]) and made[0].secret_access_key not in repr(made[0])
    ids = [c.access_key_id for c in made]
    assert all(len({key[i] for key in ids}) > 16 for i in range(13, 20))  # the tails vary


def test_threads_never_share_a_new_credential() -> None:
    seen: list[str] = []

    def draw() -> None:
        seen.extend(NewCredentials.generate("123456789012").secret_access_key for _ in range(500))

    workers = [threading.Thread(target=draw) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(set(seen)) == len(seen) == 2000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_draws_its_own_credentials() -> None:
    # the parent's batch is drawn ahead; a child that kept it would hand out the parent's next one
    NewCredentials.generate("123456789012")
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(writer, NewCredentials.generate("123456789012").secret_access_key.encode())
        os._exit(0)
    os.close(writer)
    child = os.read(reader, 100).decode()
    os.close(reader)
    os.waitpid(pid, 0)
    assert len(child) == 40
    assert child != NewCredentials.generate("123456789012").secret_access_key


@pytest.mark.parametrize("key_id", ["", "ASIA", "ASIA0000000000000000", "ASIAAAAAAAAAAAAAAAAAAAA", "AKIA-x"])
def test_key_ids_of_another_shape_have_no_account(key_id: str) -> None:
    assert account_of_key_id(key_id) is None


def session(account: str = "123456789012", **extra: Any) -> dict[str, Any]:
    return {
        "AccessKeyId": encode_key_id("ASIA", account, os.urandom(8)),
        "SecretAccessKey": "secret/" + "x" * 33,
        "Expiration": NOW.isoformat(),
        "Account": account,
        "SessionPolicies": ['{"Version":"2012-10-17","Statement":[]}'],
        "Tags": [{"Key": "team", "Value": "ünïcode"}],
        **extra,
    }


def test_a_token_opens_to_its_session_and_holds_itself(store: Store) -> None:
    tokens = SessionTokens(store)
    issued = session()
    token = tokens.seal(issued)
    opened = tokens.open(issued["AccessKeyId"], token)
    assert opened == {**issued, "SessionToken": token}


def test_nothing_is_stored_per_session(store: Store) -> None:
    tokens = SessionTokens(store)
    for _ in range(5):
        tokens.seal(session())
    kinds = store.read(lambda uow: [k for k in ("sts-session", TOKEN_KEY) if uow.count(k, "")])
    assert kinds == [TOKEN_KEY]


def test_a_token_opens_only_for_its_own_key_id(store: Store) -> None:
    tokens = SessionTokens(store)
    first, second = session(), session()
    token = tokens.seal(first)
    assert tokens.open(second["AccessKeyId"], token) is None


def test_every_changed_byte_makes_the_token_unknown(store: Store) -> None:
    tokens = SessionTokens(store)
    issued = session()
    raw = bytearray(base64.b64decode(tokens.seal(issued)))
    for index in range(0, len(raw), 7):
        tampered = bytearray(raw)
        tampered[index] ^= 0x01
        assert tokens.open(issued["AccessKeyId"], base64.b64encode(bytes(tampered)).decode()) is None


NOT_OURS = base64.b64encode(b"\x02" + bytes(40)).decode()


@pytest.mark.parametrize("token", ["", "not base64!", "AQ==", NOT_OURS, "é"])
def test_malformed_tokens_are_no_session(store: Store, token: str) -> None:
    assert SessionTokens(store).open("ASIAAAAAAAAAAAAAAAAA", token) is None


def test_servers_on_one_store_share_the_key(store: Store) -> None:
    issued = session()
    token = SessionTokens(store).seal(issued)
    assert SessionTokens(store).open(issued["AccessKeyId"], token) is not None


def test_another_store_cannot_open_the_token(store: Store, tmp_path: Any) -> None:
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        issued = session()
        assert SessionTokens(other).open(issued["AccessKeyId"], SessionTokens(store).seal(issued)) is None
    finally:
        other.close()


def test_threads_racing_to_create_the_key_agree_on_one(store: Store) -> None:
    sealers = [SessionTokens(store) for _ in range(6)]
    issued = [session() for _ in sealers]
    tokens: list[str] = [""] * len(sealers)

    def seal(i: int) -> None:
        tokens[i] = sealers[i].seal(issued[i])

    threads = [threading.Thread(target=seal, args=(i,)) for i in range(len(sealers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = SessionTokens(store)
    assert all(reader.open(s["AccessKeyId"], t) is not None for s, t in zip(issued, tokens, strict=True))
