"""``eksiam token`` as a script uses it: a real process, a real SQLite store, a verifiable token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import KeySet

from eksiam.clock import SystemClock
from eksiam.config import Settings
from eksiam.services.oidc_issuers import IssuerRegistry, issuer_id_of
from eksiam.storage import open_store


def run_token(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EKSIAM_")}
    env["EKSIAM_DATA"] = f"sqlite:///{db}"
    return subprocess.run(
        [sys.executable, "-m", "eksiam", "token", *args], capture_output=True, text=True, env=env, timeout=60
    )


def make_cluster(db: Path, name: str = "demo") -> tuple[IssuerRegistry, str]:
    store = open_store(f"sqlite:///{db}")
    registry = IssuerRegistry(store, SystemClock(), Settings(data_url=f"sqlite:///{db}"))
    return registry, registry.create_issuer("123456789012", "us-east-1", name)


def test_the_printed_token_verifies_against_the_cluster_keys(tmp_path: Path) -> None:
    db = tmp_path / "eksiam.db"
    registry, issuer = make_cluster(db)
    done = run_token(
        db,
        "--cluster", "demo", "--namespace", "apps", "--service-account", "reader",
        "--expiration-seconds", "900", "--pod-name", "web-0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    keys = KeySet.import_key_set({"keys": registry.public_keys(issuer_id_of(issuer) or "") or []})
    claims = jwt.decode(done.stdout.strip(), keys, algorithms=["RS256"]).claims
    assert claims["iss"] == issuer
    assert claims["sub"] == "system:serviceaccount:apps:reader"
    assert claims["aud"] == ["sts.amazonaws.com"]
    assert claims["exp"] - claims["iat"] == 900
    assert claims["kubernetes.io"]["pod"]["name"] == "web-0"


def test_json_output_is_a_token_request_with_audiences(tmp_path: Path) -> None:
    db = tmp_path / "eksiam.db"
    make_cluster(db)
    done = run_token(
        db, "--cluster", "demo", "--namespace", "ns", "--service-account", "sa",
        "--audience", "pods.eks.amazonaws.com", "--audience", "other", "-o", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    request = json.loads(done.stdout)
    assert request["kind"] == "TokenRequest"
    assert request["spec"]["audiences"] == ["pods.eks.amazonaws.com", "other"]
    assert request["status"]["token"].count(".") == 2


def test_an_unknown_cluster_is_an_error(tmp_path: Path) -> None:
    db = tmp_path / "eksiam.db"
    make_cluster(db)
    done = run_token(db, "--cluster", "nope", "--namespace", "ns", "--service-account", "sa")
    assert done.returncode == 1
    assert "no cluster 'nope'" in done.stderr
    assert done.stdout == ""


def test_an_expiration_kubernetes_refuses_is_an_error(tmp_path: Path) -> None:
    db = tmp_path / "eksiam.db"
    make_cluster(db)
    done = run_token(
        db, "--cluster", "demo", "--namespace", "ns", "--service-account", "sa", "--expiration-seconds", "60"
    )
    assert done.returncode == 1
    assert "expirationSeconds" in done.stderr
