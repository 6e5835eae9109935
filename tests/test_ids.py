import os
import re
import threading

import pytest

from eksiam import ids


def test_unique_ids_have_aws_prefixes_and_length():
    for kind, prefix in ids.UNIQUE_ID_PREFIX.items():
        value = ids.unique_id(kind)
        assert value.startswith(prefix) and len(value) == 21 and re.fullmatch(r"[A-Z0-9]+", value)


def test_access_keys_and_secrets():
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", ids.access_key_id())
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", ids.access_key_id(temporary=True))
    assert len(ids.secret_access_key()) == 40
    assert ids.secret_access_key() != ids.secret_access_key()
    assert re.fullmatch(r"[0-9A-F]{32}", ids.hex_id())


def test_request_ids_are_version_4_rfc_4122_uuids_and_distinct():
    import uuid

    seen = set()
    for _ in range(2000):
        value = ids.request_id()
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        seen.add(value)
    assert len(seen) == 2000


def test_a_forked_child_draws_other_identifiers_than_its_parent():
    # The identifier generator is seeded once per process; a fork must not replay the parent's ids.
    import os

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, " ".join([ids.unique_id("role"), ids.request_id(), str(ids.generation())]).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 4096).decode().split()
    os.waitpid(pid, 0)
    parent = [ids.unique_id("role"), ids.request_id(), str(ids.generation())]
    assert all(a != b for a, b in zip(child, parent, strict=True))


def test_generations_are_positive_62_bit_numbers():
    values = {ids.generation() for _ in range(1000)}
    assert len(values) == 1000
    assert all(0 < v < 2**62 for v in values)


def test_secret_bytes_are_never_handed_out_twice() -> None:
    drawn = [ids.secret_bytes(n) for n in (12, 35, 8, 5000, 12, 35) * 40]
    assert [len(b) for b in drawn] == [12, 35, 8, 5000, 12, 35] * 40
    assert len(set(drawn)) == len(drawn)


def test_each_thread_draws_its_own_secret_bytes() -> None:
    results: list[bytes] = []
    lock = threading.Lock()

    def draw() -> None:
        mine = [ids.secret_bytes(16) for _ in range(200)]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 800


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_does_not_repeat_its_parents_secret_bytes() -> None:
    ids.secret_bytes(1)  # the parent has a buffer with bytes left in it
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, ids.secret_bytes(32))
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 32)
    os.close(read)
    os.close(write)
    assert child != ids.secret_bytes(32)
