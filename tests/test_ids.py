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
