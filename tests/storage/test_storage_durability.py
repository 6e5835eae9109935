"""A writer killed with SIGKILL mid-stream loses no acknowledged write and leaves nothing half-written.

The child commits transactions of three records each and prints a transaction's number only after
``write`` returned; the parent kills it at an arbitrary point, reopens the store and checks what is
there (interface rules 2 and 6).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from store_worker import ACCOUNT, transaction_records

from eksiam.storage import open_store

WORKER = Path(__file__).with_name("store_worker.py")


@pytest.mark.parametrize("attempt", range(3))
def test_sigkill_during_a_stream_of_writes_keeps_every_acknowledged_write(
    store_url: str, attempt: int
) -> None:
    stop_after = random.randint(20, 120)
    child = subprocess.Popen(
        [sys.executable, str(WORKER), "stream", store_url], stdout=subprocess.PIPE, text=True
    )
    acknowledged: list[int] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) >= stop_after:
                break
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert acknowledged == list(range(stop_after))

    store = open_store(store_url)
    try:
        stored = store.read(lambda uow: uow.list("stream", ACCOUNT))
    finally:
        store.close()
    by_txn: dict[int, dict[str, object]] = defaultdict(dict)
    for key, data in stored:
        by_txn[int(key.split("/")[0])][key] = data
    for txn in acknowledged:
        assert by_txn[txn] == dict(transaction_records(txn)), f"acknowledged transaction {txn} is not intact"
    for txn, found in by_txn.items():
        assert found == dict(transaction_records(txn)), f"transaction {txn} is half-written"
    # the child may have committed (and printed) more than was read before the kill landed: what is
    # stored must be a gap-free prefix of its stream
    assert sorted(by_txn) == list(range(len(by_txn)))
