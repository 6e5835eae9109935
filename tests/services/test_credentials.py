"""CredentialResolver: root, IAM user and STS session keys (iam-rules.md 2; issue 4 "Bootstrap")."""

from __future__ import annotations

from datetime import timedelta

from tests.services.iam.conftest import ACCOUNT, NOW, OTHER_ACCOUNT, context

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.services import CallerKind, IamService
from eksiam.services.credentials import CredentialResolver
from eksiam.services.sts import sessions
from eksiam.storage import Store

ROOT_KEY = "AKIAEKSIAMROOTEXAMPL"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def resolver(store: Store, **settings: object) -> CredentialResolver:
    return CredentialResolver(store, Settings(account_id=ACCOUNT).with_(**settings), ManualClock(NOW))


def test_configured_root_keys_resolve_to_the_default_account_root(store: Store) -> None:
    creds = resolver(store, root_access_key_id=ROOT_KEY, root_secret_access_key=ROOT_SECRET)
    found = creds.lookup(ROOT_KEY)
    assert found is not None
    assert found.secret_access_key == ROOT_SECRET and found.session_token is None
    assert found.caller.kind is CallerKind.ROOT
    assert found.caller.arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert found.caller.user_id == ACCOUNT
    assert creds.ensure_root_credentials().access_key_id == ROOT_KEY


def test_generated_root_keys_are_made_once_and_survive_a_new_resolver(store: Store) -> None:
    first = resolver(store).ensure_root_credentials()
    again = resolver(store).ensure_root_credentials(ACCOUNT)
    assert (again.access_key_id, again.secret_access_key) == (first.access_key_id, first.secret_access_key)
    assert first.access_key_id.startswith("AKIA") and len(first.access_key_id) == 20
    assert len(first.secret_access_key) == 40
    found = resolver(store).lookup(first.access_key_id)
    assert found is not None and found.caller.arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert found.secret_access_key == first.secret_access_key


def test_each_account_has_its_own_root_keys(store: Store) -> None:
    creds = resolver(store, root_access_key_id=ROOT_KEY, root_secret_access_key=ROOT_SECRET)
    other = creds.ensure_root_credentials(OTHER_ACCOUNT)
    assert other.access_key_id != ROOT_KEY
    found = creds.lookup(other.access_key_id)
    assert found is not None and found.caller.account == OTHER_ACCOUNT


def test_secrets_stay_out_of_reprs(store: Store) -> None:
    creds = resolver(store, root_access_key_id=ROOT_KEY, root_secret_access_key=ROOT_SECRET)
    found = creds.lookup(ROOT_KEY)
    assert ROOT_SECRET not in repr(found)
    assert ROOT_SECRET not in repr(creds.ensure_root_credentials())
    assert ROOT_SECRET not in repr(Settings(root_secret_access_key=ROOT_SECRET))


def test_user_access_key_resolves_to_the_user(store: Store) -> None:
    iam = IamService(store, ManualClock(NOW), Settings(account_id=ACCOUNT))
    ctx = context()
    user = iam.create_user(ctx, user_name="alice", path="/dev/")["User"]
    key = iam.create_access_key(ctx, user_name="alice")["AccessKey"]
    found = resolver(store).lookup(key["AccessKeyId"])
    assert found is not None
    assert found.secret_access_key == key["SecretAccessKey"]
    assert found.caller.kind is CallerKind.USER
    assert found.caller.arn == f"arn:aws:iam::{ACCOUNT}:user/dev/alice"
    assert found.caller.user_id == user["UserId"]
    assert found.caller.access_key_id == key["AccessKeyId"]


def test_inactive_or_deleted_user_keys_do_not_resolve(store: Store) -> None:
    iam = IamService(store, ManualClock(NOW), Settings(account_id=ACCOUNT))
    ctx = context()
    iam.create_user(ctx, user_name="bob")
    key = iam.create_access_key(ctx, user_name="bob")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(ctx, user_name="bob", access_key_id=key, status="Inactive")
    assert resolver(store).lookup(key) is None
    iam.update_access_key(ctx, user_name="bob", access_key_id=key, status="Active")
    assert resolver(store).lookup(key) is not None
    iam.delete_access_key(ctx, user_name="bob", access_key_id=key)
    assert resolver(store).lookup(key) is None


def test_unknown_keys_do_not_resolve(store: Store) -> None:
    assert resolver(store).lookup("AKIAUNKNOWNUNKNOWN00") is None
    assert resolver(store).lookup("ASIAUNKNOWNUNKNOWN00") is None


def _session(expires_in: timedelta) -> dict[str, object]:
    creds = sessions.NewCredentials.generate(ACCOUNT)
    return {
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Expiration": (NOW + expires_in).isoformat(),
        "IssuedAt": NOW.isoformat(),
        "Type": "assumed-role",
        "Account": ACCOUNT,
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1",
        "UserId": "AROAEXAMPLEEXAMPLE123:s1",
        "PrincipalKind": "assumed-role",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/app",
        "RoleName": "app",
        "SessionName": "s1",
    }


def test_session_keys_resolve_from_their_token_even_when_expired(store: Store) -> None:
    creds = resolver(store)
    live, expired = _session(timedelta(hours=1)), _session(timedelta(hours=-1))
    live_token, expired_token = creds.tokens.seal(live), creds.tokens.seal(expired)
    found = resolver(store).lookup(str(live["AccessKeyId"]), live_token)
    assert found is not None
    assert found.secret_access_key == live["SecretAccessKey"]
    assert found.session_token == live_token
    assert found.expiration == NOW + timedelta(hours=1)
    assert found.caller.kind is CallerKind.ASSUMED_ROLE
    assert found.caller.arn == live["Arn"] and found.caller.user_id == live["UserId"]
    assert found.caller.session is not None and found.caller.session["RoleName"] == "app"
    old = resolver(store).lookup(str(expired["AccessKeyId"]), expired_token)
    assert old is not None and old.expiration is not None and old.expiration < NOW


def test_a_session_key_without_its_own_token_is_unknown(store: Store) -> None:
    creds = resolver(store)
    one, two = _session(timedelta(hours=1)), _session(timedelta(hours=1))
    token_two = creds.tokens.seal(two)
    assert creds.lookup(str(one["AccessKeyId"])) is None
    assert creds.lookup(str(one["AccessKeyId"]), token_two) is None
    assert creds.lookup(str(one["AccessKeyId"]), token_two[:-8] + "AAAAAAA=") is None


def test_a_long_term_key_sent_with_a_token_is_unknown(store: Store) -> None:
    creds = resolver(store, root_access_key_id=ROOT_KEY, root_secret_access_key=ROOT_SECRET)
    token = creds.tokens.seal(_session(timedelta(hours=1)))
    assert creds.lookup(ROOT_KEY, token) is None
