"""Percent-decoding of form bodies and query strings (protocol/urlencoded.py): the same bytes as
``urllib.parse.unquote_to_bytes`` for every well-formed input, and MalformedQueryString otherwise."""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes, unquote_to_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksiam.protocol.errors import MalformedQueryString
from eksiam.protocol.urlencoded import decode_component, decode_pairs

# Pieces that stress a decoder built on quoted-printable: its own "=" marker, line breaks (soft
# breaks are "=" + newline there), trailing blanks, underscores (spaces in QP headers), raw high bytes.
PIECES = st.sampled_from(
    [b"%", b"=", b"=\n", b"=\r\n", b"\r", b"\n", b" ", b"\t", b"_", b"\x00", b"\xff", b"a", b"F", b"0", b"9"]
)
ESCAPES = st.integers(0, 255).map(lambda i: f"%{i:02x}".encode()) | st.integers(0, 255).map(
    lambda i: f"%{i:02X}".encode()
)


def assert_decodes_to(raw: bytes, expected: bytes) -> None:
    """``raw`` decodes to the text of ``expected``, or is malformed when that is not UTF-8."""
    try:
        text = expected.decode("utf-8")
    except UnicodeDecodeError:
        with pytest.raises(MalformedQueryString):
            decode_component(raw)
        return
    assert decode_component(raw) == text


@given(st.lists(PIECES | ESCAPES, max_size=20).map(b"".join))
def test_well_formed_input_decodes_exactly_as_urllib_does(raw: bytes) -> None:
    if re.search(rb"%(?![0-9A-Fa-f]{2})", raw):  # a "%" without two hex digits after it
        with pytest.raises(MalformedQueryString):
            decode_component(raw)
        return
    assert_decodes_to(raw, unquote_to_bytes(raw.replace(b"+", b" ")))


@given(st.binary(max_size=64))
def test_any_bytes_round_trip_through_percent_encoding(data: bytes) -> None:
    assert_decodes_to(quote_from_bytes(data, safe="").encode(), data)


def test_a_policy_document_in_a_form_body() -> None:
    body = (
        b"Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C"
        b"%22Statement%22%3A%5B%5D%7D&Note=a%3Db%3D%3D+c"
    )
    assert decode_pairs(body) == [
        ("Action", "CreateRole"),
        ("RoleName", "r"),
        ("AssumeRolePolicyDocument", '{"Version":"2012-10-17","Statement":[]}'),
        ("Note", "a=b== c"),
    ]


@pytest.mark.parametrize("raw", [b"%", b"%4", b"%zz", b"a%4g", b"%%41"])
def test_a_broken_escape_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedQueryString):
        decode_component(raw)


def _pairs_one_component_at_a_time(data: bytes) -> list[tuple[str, str]]:
    """The plain reading of a form: split on ``&``, then on the first ``=``, then decode each side."""
    pairs = []
    for part in data.split(b"&"):
        if part:
            key, _, value = part.partition(b"=")
            pairs.append((decode_component(key), decode_component(value)))
    return pairs


FORM_PIECES = (
    PIECES | ESCAPES | st.sampled_from([b"&", b"&&", b"+", b"%26", b"%3D", b"%2B", b"Key", b"\xc3\xa9"])
)


@given(st.lists(FORM_PIECES, max_size=24).map(b"".join))
def test_a_form_decodes_as_its_components_do_one_at_a_time(data: bytes) -> None:
    try:
        expected = _pairs_one_component_at_a_time(data)
    except MalformedQueryString:
        with pytest.raises(MalformedQueryString):
            decode_pairs(data)
        return
    assert decode_pairs(data) == expected


def test_escaped_separators_stay_in_their_component() -> None:
    body = b"A=1%262&B%3Dx=y%3D&C=a+b%2Bc&&D&E="
    assert decode_pairs(body) == [("A", "1&2"), ("B=x", "y="), ("C", "a b+c"), ("D", ""), ("E", "")]
    assert decode_pairs(b"Token=" + b"x" * 5000 + b"&Arn=arn%3Aaws") == [
        ("Token", "x" * 5000),
        ("Arn", "arn:aws"),
    ]


def test_escaped_components_decode_the_same_every_time_short_or_long() -> None:
    short, long = "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr", "%2F" * 400
    for _ in range(3):  # the short one is kept after its first decoding; the long one never is
        assert decode_pairs(f"A={short}&B={long}".encode()) == [
            ("A", "arn:aws:iam::123456789012:role/r"),
            ("B", "/" * 400),
        ]
        with pytest.raises(MalformedQueryString):
            decode_pairs(b"A=arn%3Aaws%3")


def test_a_form_of_many_pairs_is_read_pair_by_pair() -> None:
    # each pair is cut where the previous one ended: 100,000 of them take a fraction of a second,
    # where copying the rest of the form once per pair would take minutes
    assert decode_pairs(b"a=1&" * 100_000 + b"b=%41") == [("a", "1")] * 100_000 + [("b", "A")]
    assert decode_pairs(b"a+b=1&" * 100_000) == [("a b", "1")] * 100_000
