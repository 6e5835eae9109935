"""GetCallerIdentity, GetSessionToken, GetAccessKeyInfo, DecodeAuthorizationMessage, and expiry of
temporary credentials as the SigV4 verifier sees it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.services.sts.conftest import ACCOUNT, OTHER_ACCOUNT, START, World, allow, trust

from eksiam.protocol.sigv4 import ExpiredToken, SignedRequest, verify
from eksiam.services import CallerKind
from eksiam.services.sts import (
    AccessDenied,
    InvalidAuthorizationMessage,
    ValidationError,
    authorization_document,
    encode_authorization_message,
)
from eksiam.services.sts.sessions import encode_key_id


def test_caller_identity_of_root_and_of_a_user(world: World) -> None:
    assert world.sts.get_caller_identity(world.root()) == {
        "UserId": ACCOUNT,
        "Account": ACCOUNT,
        "Arn": f"arn:aws:iam::{ACCOUNT}:root",
    }
    alice = world.user("alice")
    user_id = world.iam.get_user(world.root(), user_name="alice")["User"]["UserId"]
    assert world.sts.get_caller_identity(alice) == {
        "UserId": user_id,
        "Account": ACCOUNT,
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    }


def test_caller_identity_cannot_be_denied(world: World) -> None:
    denied = world.user("denied", {"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert world.sts.get_caller_identity(denied)["Arn"].endswith(":user/denied")


def test_a_session_token_acts_as_the_same_user(world: World) -> None:
    alice = world.user("alice")
    response = world.sts.get_session_token(alice, duration_seconds=7200)
    assert set(response) == {"Credentials"}
    assert response["Credentials"]["Expiration"] == START + timedelta(seconds=7200)
    session = world.session(response)
    assert session.caller is not None and session.caller.kind is CallerKind.USER
    assert world.sts.get_caller_identity(session) == world.sts.get_caller_identity(alice)
    with pytest.raises(AccessDenied) as err:
        world.sts.get_session_token(session)
    assert err.value.message == "Cannot call GetSessionToken with session credentials"


def test_session_token_durations(world: World) -> None:
    alice = world.user("alice")
    default = world.sts.get_session_token(alice)["Credentials"]["Expiration"]
    assert default == START + timedelta(hours=12)
    with pytest.raises(ValidationError):
        world.sts.get_session_token(alice, duration_seconds=899)
    root = world.sts.get_session_token(world.root(), duration_seconds=129600)
    assert root["Credentials"]["Expiration"] == START + timedelta(hours=1)


def test_role_sessions_cannot_get_session_tokens(world: World) -> None:
    role_arn = world.role("r", trust({"AWS": ACCOUNT}))
    alice = world.user("alice", allow("sts:AssumeRole"))
    session = world.session(world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1"))
    with pytest.raises(AccessDenied):
        world.sts.get_session_token(session)


def test_access_key_info_names_the_owning_account(world: World) -> None:
    alice = world.user("alice")
    assert alice.caller is not None and alice.caller.access_key_id is not None
    root = world.root()
    assert world.sts.get_access_key_info(root, access_key_id=alice.caller.access_key_id) == {
        "Account": ACCOUNT
    }
    session_key = world.sts.get_session_token(alice)["Credentials"]["AccessKeyId"]
    assert world.sts.get_access_key_info(root, access_key_id=session_key) == {"Account": ACCOUNT}
    foreign = encode_key_id("AKIA", OTHER_ACCOUNT, os.urandom(8))
    assert world.sts.get_access_key_info(root, access_key_id=foreign) == {"Account": OTHER_ACCOUNT}
    with pytest.raises(ValidationError):
        world.sts.get_access_key_info(root, access_key_id="AKIA0000000000000000")


def signed_call(access_key_id: str, secret: str, token: str) -> SignedRequest:
    """A GetCallerIdentity request signed by botocore now (botocore reads the wall clock itself)."""
    request = AWSRequest(
        method="POST",
        url="https://sts.amazonaws.com/",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(access_key_id, secret, token), "sts", "us-east-1").add_auth(request)
    headers = [(k.lower(), v) for k, v in request.headers.items()] + [("host", "sts.amazonaws.com")]
    return SignedRequest(method="POST", path="/", query=b"", headers=headers, body=bytes(request.body or b""))


def test_temporary_credentials_sign_until_they_expire(world: World) -> None:
    issued = datetime.now(UTC).replace(microsecond=0)
    world.clock.set(issued)
    role_arn = world.role("r", trust({"AWS": ACCOUNT}))
    alice = world.user("alice", allow("sts:AssumeRole"))
    creds = world.sts.assume_role(alice, role_arn=role_arn, role_session_name="s1", duration_seconds=900)
    request = signed_call(
        creds["Credentials"]["AccessKeyId"],
        creds["Credentials"]["SecretAccessKey"],
        creds["Credentials"]["SessionToken"],
    )
    _, key = verify(
        request, service="sts", lookup=world.credentials.lookup, now=issued + timedelta(seconds=899)
    )
    assert key.caller.arn.endswith(":assumed-role/r/s1")
    with pytest.raises(ExpiredToken) as err:
        verify(request, service="sts", lookup=world.credentials.lookup, now=issued + timedelta(seconds=900))
    assert err.value.code == "ExpiredToken"


def test_an_authorization_message_decodes_in_its_own_account_only(world: World) -> None:
    alice = world.user("alice")
    assert alice.caller is not None
    doc = authorization_document(
        alice.caller, "ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/*",
        explicit_deny=False, conditions={"ec2:InstanceType": "t3.micro"},
    )  # fmt: skip
    encoded = encode_authorization_message(world.store, ACCOUNT, doc)
    assert "RunInstances" not in encoded
    decoded = json.loads(
        world.sts.decode_authorization_message(world.root(), encoded_message=encoded)["DecodedMessage"]
    )
    assert decoded["allowed"] is False
    assert decoded["context"]["principal"]["arn"] == alice.caller.arn
    assert decoded["context"]["conditions"]["items"] == [
        {"key": "ec2:InstanceType", "values": {"items": [{"value": "t3.micro"}]}}
    ]
    with pytest.raises(InvalidAuthorizationMessage):
        world.sts.decode_authorization_message(world.root(OTHER_ACCOUNT), encoded_message=encoded)
    tampered = encoded[:-6] + ("A" if encoded[-6] != "A" else "B") + encoded[-5:]
    for bad in (tampered, "not-a-message", ""):
        with pytest.raises(InvalidAuthorizationMessage) as err:
            world.sts.decode_authorization_message(world.root(), encoded_message=bad)
        assert err.value.code == "InvalidAuthorizationMessageException"
