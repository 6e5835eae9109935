"""Hypothesis strategies derived from botocore shapes, with bounded sizes.

Values are what a caller could send through botocore's serializers (and what a service could
return): model-typed, not constraint-valid, because the round trips test the wire, not the rules.
Strings draw from characters that stress both encodings (``&<>%+=/"'``, CR, LF, tab, non-ASCII)
but exclude what XML 1.0 cannot carry at all (C0 controls other than tab/CR/LF).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from hypothesis import strategies as st

TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 _-.:/@&<>%+=\"'\t\n\r") + ["é", "日", "ü"]),
    max_size=12,
)
LABEL = st.text(alphabet=st.sampled_from(list("abcXYZ019_-.:/@%+=é ?#&")), min_size=1, max_size=12).filter(
    lambda s: s not in (".", "..")
)
STAMP = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
INT32 = (-(2**31), 2**31 - 1)


def for_shape(
    shape: Shape, *, depth: int = 0, label: bool = False, nonempty: bool = False
) -> st.SearchStrategy[Any]:
    if isinstance(shape, StructureShape):
        return _structure(shape, depth, nonempty)
    if isinstance(shape, ListShape):
        return st.lists(
            for_shape(shape.member, depth=depth + 1, nonempty=True), max_size=3 if depth < 4 else 0
        )
    if isinstance(shape, MapShape):
        keys = for_shape(shape.key, label=True)
        return st.dictionaries(
            keys, for_shape(shape.value, depth=depth + 1, nonempty=True), max_size=3 if depth < 4 else 0
        )
    kind = shape.type_name
    if kind == "string":
        if shape.enum:
            return st.sampled_from(list(shape.enum))
        return LABEL if label else TEXT
    if kind in ("integer", "long"):
        low = int(shape.metadata.get("min", INT32[0]))
        high = int(shape.metadata.get("max", INT32[1]))
        return st.integers(min_value=min(low, high), max_value=high)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return STAMP
    if kind == "blob":
        return st.binary(max_size=16)
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    raise AssertionError(f"no strategy for {kind}")


def _structure(shape: StructureShape, depth: int, nonempty: bool) -> st.SearchStrategy[dict[str, Any]]:
    required = set(shape.required_members)

    def member(name: str, m: Shape) -> st.SearchStrategy[Any]:
        return for_shape(m, depth=depth + 1, label=m.serialization.get("location") == "uri", nonempty=True)

    fixed = {name: member(name, m) for name, m in shape.members.items() if name in required}
    optional = {} if depth > 5 else {n: member(n, m) for n, m in shape.members.items() if n not in required}
    strategy = st.fixed_dictionaries(fixed, optional=optional)
    if nonempty and not fixed and optional:
        strategy = strategy.filter(bool)
    return strategy


def input_strategy(shape: StructureShape | None) -> st.SearchStrategy[dict[str, Any]]:
    return st.just({}) if shape is None else _structure(shape, 0, False)


def drop_empty(value: Any, *, lists: bool = False) -> Any:
    """Remove what a wire cannot distinguish from absence: empty maps and structures (and, with
    ``lists``, empty lists), recursively."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = drop_empty(v, lists=lists)
            if v == {} or (lists and v == []):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [drop_empty(v, lists=lists) for v in value]
    return value
