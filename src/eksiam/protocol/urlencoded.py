"""Strict decoding of ``application/x-www-form-urlencoded`` text (query strings and Query bodies).

``urllib.parse.parse_qsl`` forgives what AWS rejects: a ``%`` not followed by two hex digits is kept
literally and invalid UTF-8 becomes U+FFFD. AWS answers both with a 400 (``MalformedQueryString``
for Query services), so this decoder raises ``MalformedQueryString`` instead of guessing.
"""

from __future__ import annotations

import binascii
import re
from functools import lru_cache

from eksiam.protocol.errors import MalformedQueryString

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def decode_component(raw: bytes, *, plus_is_space: bool = True) -> str:
    """One percent-encoded key or value as text; raise MalformedQueryString when it is broken."""
    return _decode(raw, plus_is_space and raw.find(b"+") >= 0, True)


def _check_escapes(raw: bytes) -> None:
    if _BAD_ESCAPE.search(raw):
        raise MalformedQueryString("The query string contains an invalid percent-encoded sequence.")


def _decode(raw: bytes, plus: bool, escaped: bool) -> str:
    """``decode_component``, told whether the text ``raw`` came from has a ``+`` or a ``%`` at all,
    so a long component without either (a token) is only decoded. Searches use ``bytes.find``:
    CPython 3.11's ``in`` on bytes first tries the needle as an integer and builds a TypeError for
    it, which costs twice the search."""
    if plus:
        raw = raw.replace(b"+", b" ")
    if escaped and raw.find(b"%") >= 0:
        _check_escapes(raw)
        raw = _unquote(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedQueryString("The query string is not valid UTF-8.") from None


def _unquote(raw: bytes) -> bytes:
    """Percent-decoding in C: ``%XX`` is quoted-printable's ``=XX`` with another marker. Literal
    ``=`` are escaped first, so every ``=`` that ``a2b_qp`` sees is followed by two hex digits (the
    escapes were checked) and it has no soft line break to remove; the result equals
    ``urllib.parse.unquote_to_bytes``, which loops in Python (16 times slower on a policy document).
    """
    return binascii.a2b_qp(raw.replace(b"=", b"=3D").replace(b"%", b"="))


_KEPT = 256  # the longest escaped ASCII component whose decoding is kept (the cache's bound)


def _unescape(text: str) -> str:
    """An escaped ASCII component, decoded; a short one through the cache."""
    return _unescaped(text) if len(text) <= _KEPT else _decode(text.encode("ascii"), False, True)


@lru_cache(maxsize=1024)
def _unescaped(text: str) -> str:
    """Short escaped components repeat from request to request (a role ARN, a policy ARN), and
    checking and unescaping one costs ten times a lookup. A malformed one raises: nothing kept."""
    return _decode(text.encode("ascii"), False, True)


def decode_pairs(data: bytes) -> list[tuple[str, str]]:
    """``k=v&k2=v2`` as decoded pairs in order, duplicates kept; ``k`` alone means ``k=``.

    ASCII without ``+`` (what SDKs send) is decoded as a whole and split as text, and only a
    component with a ``%`` is unescaped, so a long plain value (a web identity token) costs one
    pass. Other forms are cut at separators found from where the previous pair ended (cutting the
    rest off each time would copy it once per pair)."""
    pairs: list[tuple[str, str]] = []
    if not data:
        return pairs
    append = pairs.append
    size = len(data)
    start = 0
    text = data.decode("ascii") if data.isascii() else None
    if text is not None and "+" not in text:  # searched as text: ``in`` on bytes costs 5 times more
        escaped = "%" in text
        for part in text.split("&"):
            if part:
                key, _, value = part.partition("=")
                if escaped and "%" in part:
                    if "%" in key:
                        key = _unescape(key)
                    if "%" in value:
                        value = _unescape(value)
                append((key, value))
        return pairs
    plus, escaped = data.find(b"+") >= 0, data.find(b"%") >= 0
    while start < size:
        end = data.find(b"&", start)
        if end < 0:
            end = size
        if end > start:
            raw_key, _, raw_value = data[start:end].partition(b"=")
            append((_decode(raw_key, plus, escaped), _decode(raw_value, plus, escaped)))
        start = end + 1
    return pairs
