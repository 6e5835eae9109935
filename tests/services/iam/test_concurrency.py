"""Concurrent writers never break an IAM invariant (issue 3, Storage): two writers racing for a
policy's sixth version, and a policy attached while it is being deleted. Each writer has its own
store on the same database, as two server processes would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.services import IamService
from eksiam.services.iam.errors import DeleteConflict, LimitExceeded, NoSuchEntity
from eksiam.storage import open_store

from .conftest import NOW, context, identity_policy, trust_policy

ROUNDS = 8


@pytest.fixture
def two_services(store_url: str) -> Iterator[tuple[IamService, IamService]]:
    stores = [open_store(store_url), open_store(store_url)]
    yield tuple(IamService(s, ManualClock(NOW), Settings()) for s in stores)  # type: ignore[misc]
    for s in stores:
        s.close()


def _race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment; each result is the return value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # the outcome under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_writers_racing_for_the_sixth_version(two_services: tuple[IamService, IamService]) -> None:
    first, second = two_services
    ctx = context()
    for round_ in range(ROUNDS):
        arn = first.create_policy(ctx, policy_name=f"p{round_}", policy_document=identity_policy())["Policy"][
            "Arn"
        ]
        for n in range(3):
            first.create_policy_version(ctx, policy_arn=arn, policy_document=identity_policy(f"s3:V{n}"))
        results = _race(
            partial(
                first.create_policy_version, ctx, policy_arn=arn, policy_document=identity_policy("s3:A")
            ),
            partial(
                second.create_policy_version, ctx, policy_arn=arn, policy_document=identity_policy("s3:B")
            ),
        )
        failures = [r for r in results if isinstance(r, Exception)]
        assert len(failures) == 1 and isinstance(failures[0], LimitExceeded), results
        versions = first.list_policy_versions(ctx, policy_arn=arn)["Versions"]
        assert len(versions) == 5
        assert len({v["VersionId"] for v in versions}) == 5


def test_attach_while_deleting_keeps_policy_and_attachments_consistent(
    two_services: tuple[IamService, IamService],
) -> None:
    first, second = two_services
    ctx = context()
    first.create_role(ctx, role_name="r", assume_role_policy_document=trust_policy())
    outcomes = set()
    for round_ in range(ROUNDS):
        arn = first.create_policy(ctx, policy_name=f"p{round_}", policy_document=identity_policy())["Policy"][
            "Arn"
        ]
        deleted, attached = _race(
            partial(first.delete_policy, ctx, policy_arn=arn),
            partial(second.attach_role_policy, ctx, role_name="r", policy_arn=arn),
        )
        attached_arns = [
            p["PolicyArn"] for p in first.list_attached_role_policies(ctx, role_name="r")["AttachedPolicies"]
        ]
        if isinstance(deleted, Exception):
            assert isinstance(deleted, DeleteConflict), deleted
            assert attached == {}
            assert first.get_policy(ctx, policy_arn=arn)["Policy"]["AttachmentCount"] == 1
            assert arn in attached_arns
            first.detach_role_policy(ctx, role_name="r", policy_arn=arn)
            outcomes.add("attached")
        else:
            assert isinstance(attached, NoSuchEntity), attached
            assert arn not in attached_arns
            with pytest.raises(NoSuchEntity):
                first.get_policy(ctx, policy_arn=arn)
            outcomes.add("deleted")
    assert outcomes  # at least one round ran to a consistent end


def test_concurrent_creates_of_one_name_make_one_role(two_services: tuple[IamService, IamService]) -> None:
    first, second = two_services
    ctx = context()
    for round_ in range(ROUNDS):
        name = f"Role{round_}"
        results = _race(
            partial(first.create_role, ctx, role_name=name, assume_role_policy_document=trust_policy()),
            partial(
                second.create_role, ctx, role_name=name.lower(), assume_role_policy_document=trust_policy()
            ),
        )
        assert sum(isinstance(r, Exception) for r in results) == 1, results
    assert len(first.list_roles(ctx)["Roles"]) == ROUNDS
