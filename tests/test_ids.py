import re

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
