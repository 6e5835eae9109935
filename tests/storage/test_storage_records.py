"""The unit-of-work operations, on both backends (interface rules 1-5)."""

from __future__ import annotations

import functools
import threading
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_worker import increment

from eksiam.storage import AlreadyExists, ReadOnly, StorageError, Store, UnitOfWork, open_store

ACCOUNT = "123456789012"


def test_get_of_missing_record_is_none(store: Store) -> None:
    assert store.read(lambda uow: uow.get("role", ACCOUNT, "nobody")) is None


def test_put_then_get_returns_the_same_json(store: Store) -> None:
    data = {"RoleName": "ä-role", "Tags": [{"Key": "k", "Value": "\U0001f600"}], "n": 3, "f": None}
    store.write(lambda uow: uow.put("role", ACCOUNT, "ä-role", data))
    assert store.read(lambda uow: uow.get("role", ACCOUNT, "ä-role")) == data


@pytest.mark.parametrize(
    "data",
    [
        {"text": "caf\u00e9 \u65e5\u672c \U0001f600", "none": None, "flag": True},
        {"lone": "\ud800x\udfff"},  # lone surrogates: not UTF-8, still any Python str
        {"big": 2**70 + 1, "negative": -(2**64) - 3, "float": 0.1, "max": 2**63 - 1},
        {"nested": [{"a": [1, "two", None, {"b": False}]}], "null": "null"},
        {"control": '\x01\n\t\\"', "": ""},
    ],
)
def test_any_json_value_round_trips_exactly(store: Store, data: dict[str, object]) -> None:
    store.write(lambda uow: uow.put("role", ACCOUNT, "r", data))
    assert store.read(lambda uow: uow.get("role", ACCOUNT, "r")) == data
    assert store.read(lambda uow: uow.list("role", ACCOUNT)) == [("r", data)]


def test_put_replaces_and_records_are_separate_per_kind_and_account(store: Store) -> None:
    def fill(uow: UnitOfWork) -> None:
        uow.put("role", ACCOUNT, "r", {"v": 1})
        uow.put("role", ACCOUNT, "r", {"v": 2})
        uow.put("user", ACCOUNT, "r", {"v": 3})
        uow.put("role", "210987654321", "r", {"v": 4})
        uow.put("role", "", "r", {"v": 5})

    store.write(fill)
    got = store.read(
        lambda uow: [
            uow.get("role", ACCOUNT, "r"),
            uow.get("user", ACCOUNT, "r"),
            uow.get("role", "210987654321", "r"),
            uow.get("role", "", "r"),
        ]
    )
    assert got == [{"v": 2}, {"v": 3}, {"v": 4}, {"v": 5}]


def test_returned_records_are_copies(store: Store) -> None:
    store.write(lambda uow: uow.put("role", ACCOUNT, "r", {"list": [1]}))
    first = store.read(lambda uow: uow.get("role", ACCOUNT, "r"))
    assert first is not None
    first["list"].append(2)
    assert store.read(lambda uow: uow.get("role", ACCOUNT, "r")) == {"list": [1]}


def test_create_on_a_taken_key_raises_already_exists_and_keeps_the_first(store: Store) -> None:
    store.write(lambda uow: uow.put("role", ACCOUNT, "r", {"v": 1}, create=True))
    with pytest.raises(AlreadyExists) as caught:
        store.write(lambda uow: uow.put("role", ACCOUNT, "r", {"v": 2}, create=True))
    assert (caught.value.kind, caught.value.account, caught.value.key) == ("role", ACCOUNT, "r")
    assert store.read(lambda uow: uow.get("role", ACCOUNT, "r")) == {"v": 1}


def test_caught_already_exists_leaves_the_transaction_usable(store: Store) -> None:
    def fn(uow: UnitOfWork) -> str:
        uow.put("role", ACCOUNT, "r", {"v": 1}, create=True)
        try:
            uow.put("role", ACCOUNT, "r", {"v": 2}, create=True)
        except AlreadyExists:
            uow.put("role", ACCOUNT, "r-2", {"v": 2}, create=True)
        return "done"

    assert store.write(fn) == "done"
    assert store.read(lambda uow: uow.count("role", ACCOUNT)) == 2


def test_delete_reports_whether_there_was_a_record(store: Store) -> None:
    store.write(lambda uow: uow.put("role", ACCOUNT, "r", {}))
    assert store.write(lambda uow: uow.delete("role", ACCOUNT, "r")) is True
    assert store.write(lambda uow: uow.delete("role", ACCOUNT, "r")) is False
    assert store.read(lambda uow: uow.get("role", ACCOUNT, "r")) is None


# Keys that sort differently by bytes than by locale or by UTF-16 code unit.
ODD_KEYS = ["", "a", "A", "a/b", "a|b", "a|", "a/", "a-b", "a\x7f", "aé", "a\uffff", "a\U0001f600", "b", "Z"]


def _fill(store: Store, keys: list[str], kind: str = "attachment") -> None:
    def fn(uow: UnitOfWork) -> None:
        for key in keys:
            uow.put(kind, ACCOUNT, key, {"key": key})

    store.write(fn)


def test_list_orders_keys_by_utf8_bytes(store: Store) -> None:
    _fill(store, ODD_KEYS)
    listed = store.read(lambda uow: uow.list("attachment", ACCOUNT))
    assert [key for key, _ in listed] == sorted(ODD_KEYS, key=lambda k: k.encode())
    assert all(data == {"key": key} for key, data in listed)


@pytest.mark.parametrize("prefix", ["a|", "a/", "a", "a\uffff", "\U0010ffff", "a\U0010ffff", "x"])
def test_prefix_listing_returns_exactly_the_keys_with_that_prefix(store: Store, prefix: str) -> None:
    keys = [*ODD_KEYS, "a|b|c", "a||", "a\uffffz", "a\U0010ffff", "a\U0010ffffq", "\U0010ffff", "\U0010ffffz"]
    _fill(store, keys)
    expected = sorted((k for k in keys if k.startswith(prefix)), key=lambda k: k.encode())
    listed = store.read(lambda uow: [key for key, _ in uow.list("attachment", ACCOUNT, prefix=prefix)])
    assert listed == expected
    assert store.read(lambda uow: uow.count("attachment", ACCOUNT, prefix=prefix)) == len(expected)


def _page(uow: UnitOfWork, after: str | None) -> list[tuple[str, dict[str, object]]]:
    return uow.list("attachment", ACCOUNT, prefix="policy|", after=after, limit=5)


def test_pages_by_after_and_limit_visit_every_key_once(store: Store) -> None:
    keys = [f"policy|{i:03d}" for i in range(23)] + ["policx", "policz"]
    _fill(store, keys)
    seen: list[str] = []
    after: str | None = None
    while True:
        page = store.read(functools.partial(_page, after=after))
        if not page:
            break
        seen.extend(key for key, _ in page)
        after = page[-1][0]
    assert seen == sorted(k for k in keys if k.startswith("policy|"))


def test_limit_zero_lists_nothing_and_negative_limit_is_refused(store: Store) -> None:
    _fill(store, ["a"])
    assert store.read(lambda uow: uow.list("attachment", ACCOUNT, limit=0)) == []
    with pytest.raises(ValueError):
        store.read(lambda uow: uow.list("attachment", ACCOUNT, limit=-1))


def test_count_counts_one_kind_in_one_account(store: Store) -> None:
    _fill(store, ["a", "b", "c"])
    _fill(store, ["a"], kind="other")
    assert store.read(lambda uow: uow.count("attachment", ACCOUNT)) == 3
    assert store.read(lambda uow: uow.count("attachment", "999999999999")) == 0


def test_accounts_lists_each_account_holding_the_kind_once(store: Store) -> None:
    def fn(uow: UnitOfWork) -> None:
        for account in ["333333333333", "111111111111", "", "222222222222"]:
            for key in ("x", "y", "z"):
                uow.put("role", account, key, {})
        uow.put("user", "444444444444", "u", {})

    store.write(fn)
    expected = ["", "111111111111", "222222222222", "333333333333"]
    assert store.read(lambda uow: list(uow.accounts("role"))) == expected
    assert store.read(lambda uow: list(uow.accounts("group"))) == []


def test_writes_through_read_raise_read_only(store: Store) -> None:
    with pytest.raises(ReadOnly):
        store.read(lambda uow: uow.put("role", ACCOUNT, "r", {}))
    with pytest.raises(ReadOnly):
        store.read(lambda uow: uow.delete("role", ACCOUNT, "r"))
    assert store.read(lambda uow: uow.get("role", ACCOUNT, "r")) is None


class Boom(Exception):
    pass


def test_an_exception_in_fn_rolls_everything_back_and_propagates_unchanged(store: Store) -> None:
    store.write(lambda uow: uow.put("role", ACCOUNT, "kept", {"v": 1}))
    raised = Boom("no")

    def fn(uow: UnitOfWork) -> None:
        uow.put("role", ACCOUNT, "new", {"v": 1})
        uow.put("role", ACCOUNT, "kept", {"v": 2})
        uow.delete("role", ACCOUNT, "kept")
        raise raised

    with pytest.raises(Boom) as caught:
        store.write(fn)
    assert caught.value is raised
    assert store.read(lambda uow: uow.list("role", ACCOUNT)) == [("kept", {"v": 1})]


def test_already_exists_midway_rolls_back_earlier_puts(store: Store) -> None:
    store.write(lambda uow: uow.put("role", ACCOUNT, "taken", {}))

    def fn(uow: UnitOfWork) -> None:
        uow.put("role", ACCOUNT, "first", {}, create=True)
        uow.put("role", ACCOUNT, "taken", {}, create=True)

    with pytest.raises(AlreadyExists):
        store.write(fn)
    assert store.read(lambda uow: uow.get("role", ACCOUNT, "first")) is None


def test_a_unit_of_work_cannot_be_used_after_its_transaction(store: Store) -> None:
    kept = store.write(lambda uow: uow)
    with pytest.raises(StorageError):
        kept.put("role", ACCOUNT, "late", {})
    with pytest.raises(StorageError):
        store.read(lambda uow: uow).get("role", ACCOUNT, "late")


def test_a_write_sees_its_own_changes(store: Store) -> None:
    def fn(uow: UnitOfWork) -> tuple[object, int]:
        uow.put("role", ACCOUNT, "r", {"v": 1})
        return uow.get("role", ACCOUNT, "r"), uow.count("role", ACCOUNT)

    assert store.write(fn) == ({"v": 1}, 1)


@pytest.mark.parametrize(
    ("kind", "account", "key", "data", "error"),
    [
        ("role", ACCOUNT, "nul\x00key", {}, ValueError),
        ("role", ACCOUNT, 7, {}, TypeError),
        ("role", ACCOUNT, "k", ["not", "a", "dict"], TypeError),
        ("role", ACCOUNT, "k", {"nan": float("nan")}, ValueError),
        ("role", ACCOUNT, "k", {"deep": [{"inf": float("inf")}]}, ValueError),
        ("role", ACCOUNT, "k", {"when": datetime(2026, 1, 1, tzinfo=UTC)}, TypeError),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    store: Store, kind: str, account: str, key: object, data: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        store.write(lambda uow: uow.put(kind, account, key, data))  # type: ignore[arg-type]
    assert store.read(lambda uow: uow.count("role", ACCOUNT)) == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keys=st.sets(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=6)),
    prefix=st.text(st.sampled_from("ab|/é\U0001f600\uffff"), max_size=2),
)
def test_prefix_listing_matches_python_for_any_keys(store: Store, keys: set[str], prefix: str) -> None:
    account = uuid.uuid4().hex[:12]

    def fn(uow: UnitOfWork) -> None:
        for key in keys:
            uow.put("fuzz", account, key, {})

    store.write(fn)
    expected = sorted((k for k in keys if k.startswith(prefix)), key=lambda k: k.encode())
    assert store.read(lambda uow: [k for k, _ in uow.list("fuzz", account, prefix=prefix)]) == expected


def test_a_write_inside_a_write_is_refused_and_the_outer_one_rolls_back(store: Store) -> None:
    def outer(uow: UnitOfWork) -> None:
        uow.put("role", ACCOUNT, "outer", {})
        store.write(lambda inner: inner.put("role", ACCOUNT, "inner", {}))

    with pytest.raises(StorageError):
        store.write(outer)
    assert store.read(lambda uow: uow.count("role", ACCOUNT)) == 0
    store.write(lambda uow: uow.put("role", ACCOUNT, "later", {}))
    assert store.read(lambda uow: uow.count("role", ACCOUNT)) == 1


def test_an_in_memory_store_works_across_threads() -> None:
    memory = open_store("sqlite://")
    try:
        workers = [
            threading.Thread(target=lambda: [memory.write(increment) for _ in range(25)]) for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert memory.read(lambda uow: uow.get("counter", ACCOUNT, "c")) == {"n": 100}
    finally:
        memory.close()
