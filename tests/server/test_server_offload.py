"""Where a request runs: on the event loop for a local store, on a worker when it may block or when
the store is remote (offload.py, server/aws_endpoint.py rule 3)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.server.conftest import ROOT_KEY, ROOT_SECRET, run_app, settings_for

from eksiam.clock import ManualClock
from eksiam.offload import Offload, may_block, running_inline
from eksiam.server import EksiamApp
from eksiam.services.iam.service import IamService

WORKER_PREFIX = "eksiam-aws-"


def test_may_block_raises_only_while_running_inline() -> None:
    may_block()  # a worker or a script: nothing happens
    with running_inline(), pytest.raises(Offload):
        may_block()
    may_block()


@contextmanager
def _served(settings_url: str | None, tmp_path: Path) -> Iterator[tuple[Callable[..., Any], str]]:
    settings = settings_for(tmp_path)
    if settings_url is not None:
        settings = settings.with_(data_url=settings_url)
    app = EksiamApp(settings, ManualClock())
    endpoint, server, thread = run_app(app)
    try:
        iam = boto3.session.Session().client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=ROOT_KEY,
            aws_secret_access_key=ROOT_SECRET,
        )
        yield iam, thread.name
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def _record_threads(monkeypatch: pytest.MonkeyPatch, name: str, *, blocking: bool) -> list[str]:
    """Wrap an IAM operation to note the thread each attempt runs on (and say it may block)."""
    seen: list[str] = []
    original = getattr(IamService, name)

    @functools.wraps(original)
    def wrapper(self: IamService, ctx: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        if blocking:
            may_block()
        return original(self, ctx, **kwargs)

    monkeypatch.setattr(IamService, name, wrapper)
    return seen


def test_requests_on_a_local_store_run_on_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _record_threads(monkeypatch, "list_roles", blocking=False)
    with _served(None, tmp_path) as (iam, loop_thread):
        iam.list_roles()
        iam.list_roles()
        assert seen == [loop_thread, loop_thread]


def test_a_request_that_may_block_runs_again_on_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _record_threads(monkeypatch, "create_role", blocking=True)
    trust = '{"Version":"2012-10-17","Statement":[]}'
    with _served(None, tmp_path) as (iam, loop_thread):
        iam.create_role(RoleName="offloaded", AssumeRolePolicyDocument=trust)
        assert seen[0] == loop_thread
        assert len(seen) == 2 and seen[1].startswith(WORKER_PREFIX)
        assert iam.get_role(RoleName="offloaded")["Role"]["RoleName"] == "offloaded"
        assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["offloaded"]  # created once


def test_requests_on_postgresql_run_on_workers(
    tmp_path: Path, postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _record_threads(monkeypatch, "list_roles", blocking=False)
    with _served(postgres_schema_url, tmp_path) as (iam, _):
        iam.list_roles()
        assert len(seen) == 1 and seen[0].startswith(WORKER_PREFIX)


def test_offload_passes_through_service_exception_handlers() -> None:
    """Services catch Exception for their own failures; the offload signal must not be caught."""
    with running_inline():
        try:
            may_block()
        except Exception:  # noqa: BLE001 - what a careless handler would write
            pytest.fail("Offload was caught as an Exception")
        except Offload:
            pass
