"""Last use of keys and roles (services/usage.py): noted per request, written by ``flush``, newest
wins, never written through the authorization-tracked store."""

from __future__ import annotations

from datetime import timedelta

from tests.services.iam.conftest import NOW, context, trust_policy

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.services.authz_generation import GENERATION, track_policy_changes
from eksiam.services.iam import IamService
from eksiam.services.usage import UsageLog
from eksiam.storage import Store


def _iam(store: Store) -> IamService:
    return IamService(store, ManualClock(NOW), Settings())


def test_a_key_use_shows_in_get_access_key_last_used_after_a_flush(store: Store) -> None:
    iam, ctx, usage = _iam(store), context(), UsageLog(store)
    iam.create_user(ctx, user_name="alice")
    key = iam.create_access_key(ctx, user_name="alice")["AccessKey"]["AccessKeyId"]
    usage.key_used(key, NOW + timedelta(minutes=5), "sts", "eu-west-1")
    before = iam.get_access_key_last_used(ctx, access_key_id=key)["AccessKeyLastUsed"]
    assert before == {"ServiceName": "N/A", "Region": "N/A"}
    assert usage.flush() == 1
    after = iam.get_access_key_last_used(ctx, access_key_id=key)["AccessKeyLastUsed"]
    assert after == {"LastUsedDate": NOW + timedelta(minutes=5), "ServiceName": "sts", "Region": "eu-west-1"}
    assert usage.flush() == 0  # nothing new noted


def test_the_newest_use_wins_and_dates_never_move_back(store: Store) -> None:
    iam, ctx = _iam(store), context()
    iam.create_role(ctx, role_name="app", assume_role_policy_document=trust_policy())
    first, second = UsageLog(store), UsageLog(store)  # two servers on one database
    first.role_used(ctx.account, "App", NOW + timedelta(hours=2), "us-west-2")
    first.role_used(ctx.account, "app", NOW + timedelta(hours=1), "us-east-1")  # older: ignored
    first.flush()
    second.role_used(ctx.account, "app", NOW + timedelta(minutes=30), "eu-central-1")
    second.flush()  # older than what is stored: kept as it was
    used = iam.get_role(ctx, role_name="app")["Role"]["RoleLastUsed"]
    assert used == {"LastUsedDate": NOW + timedelta(hours=2), "Region": "us-west-2"}


def test_uses_of_deleted_keys_and_roles_are_dropped(store: Store) -> None:
    usage = UsageLog(store)
    usage.key_used("AKIAGONEGONEGONEGONE", NOW, "iam", "us-east-1")
    usage.role_used("123456789012", "gone", NOW, "us-east-1")
    assert usage.flush() == 2
    assert store.read(lambda uow: uow.count("access-key", "")) == 0


def test_a_flush_does_not_move_the_authorization_generation(store: Store) -> None:
    tracked = track_policy_changes(store)
    iam, ctx = _iam(tracked), context()
    iam.create_role(ctx, role_name="app", assume_role_policy_document=trust_policy())
    generation = store.read(lambda uow: uow.get(GENERATION, ctx.account, "policies"))
    usage = UsageLog(store)
    usage.role_used(ctx.account, "app", NOW, "us-east-1")
    usage.flush()
    assert store.read(lambda uow: uow.get(GENERATION, ctx.account, "policies")) == generation
