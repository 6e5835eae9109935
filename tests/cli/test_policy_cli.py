"""``eksiam policy simulate`` and ``eksiam policy validate`` run as the installed console script.

Cases follow IAM User Guide "Policy evaluation logic"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) and
"Permissions boundaries for IAM entities"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ALICE = "arn:aws:iam::111122223333:user/alice"
EKSIAM = shutil.which("eksiam")
pytestmark = pytest.mark.skipif(EKSIAM is None, reason="the eksiam console script is not installed")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert EKSIAM is not None
    return subprocess.run([EKSIAM, "policy", *args], capture_output=True, text=True, timeout=120, check=False)


def write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def statement_doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def simulate_json(*args: str) -> dict[str, Any]:
    result = run("simulate", *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_simulate_allows_with_identity_policy(tmp_path: Path) -> None:
    policy = write(tmp_path, "p.json", statement_doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    out = simulate_json(
        "--principal", ALICE, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k", "--policy", policy
    )
    assert out["decision"] == "Allow"
    assert out["matched"][0]["policy_id"] == policy


def test_simulate_implicit_deny_names_the_boundary(tmp_path: Path) -> None:
    policy = write(tmp_path, "p.json", statement_doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    boundary = write(
        tmp_path, "b.json", statement_doc({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    )
    args = ["--principal", ALICE, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"]
    out = simulate_json(*args, "--policy", policy, "--boundary", boundary)
    assert out["decision"] == "ImplicitDeny"
    assert out["missing"] == ["boundary"]
    text = run("simulate", *args, "--policy", policy, "--boundary", boundary)
    assert text.returncode == 0
    assert "not by permissions boundary" in text.stdout


def test_simulate_explicit_deny_from_an_scp_level(tmp_path: Path) -> None:
    policy = write(tmp_path, "p.json", statement_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    root = write(tmp_path, "root.json", [statement_doc({"Effect": "Allow", "Action": "*", "Resource": "*"})])
    ou = write(
        tmp_path,
        "ou.json",
        [
            statement_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            statement_doc(
                {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
            ),
        ],
    )
    out = simulate_json(
        "--principal", ALICE, "--action", "s3:DeleteObject", "--resource", "arn:aws:s3:::b/k",
        "--policy", policy, "--scp", root, "--scp", ou,
    )  # fmt: skip
    assert out["decision"] == "ExplicitDeny"
    assert out["matched"][0]["sid"] == "NoDelete"


def test_repeated_context_key_is_multivalued_and_context_file_sets_empty_set(tmp_path: Path) -> None:
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "owner"]}}
    policy = write(
        tmp_path,
        "p.json",
        statement_doc(
            {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": condition}
        ),
    )
    args = ["--principal", ALICE, "--action", "ec2:CreateTags", "--resource", "*", "--policy", policy]
    assert (
        simulate_json(*args, "--context", "aws:TagKeys=env", "--context", "aws:TagKeys=owner")["decision"]
        == "Allow"
    )
    assert (
        simulate_json(*args, "--context", "aws:TagKeys=env", "--context", "aws:TagKeys=cost")["decision"]
        == "ImplicitDeny"
    )
    empty = write(tmp_path, "ctx.json", {"aws:TagKeys": []})
    assert simulate_json(*args, "--context-file", empty)["decision"] == "Allow"


def test_simulate_trust_policy_for_web_identity(tmp_path: Path) -> None:
    provider = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
    trust = write(
        tmp_path,
        "trust.json",
        statement_doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com"}
                },
            }
        ),
    )
    args = ["--principal", provider, "--action", "sts:AssumeRoleWithWebIdentity"]
    args += ["--resource", "arn:aws:iam::111122223333:role/irsa", "--resource-policy", trust]
    good = simulate_json(*args, "--context", "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud=sts.amazonaws.com")
    assert good["decision"] == "Allow"
    assert simulate_json(*args)["decision"] == "ImplicitDeny"


def test_simulate_usage_errors_exit_2(tmp_path: Path) -> None:
    base = ["--principal", ALICE, "--action", "s3:GetObject", "--resource", "*"]
    assert run("simulate", *base, "--policy", str(tmp_path / "missing.json")).returncode == 2
    malformed = write(tmp_path, "bad.json", statement_doc({"Effect": "Allow", "Action": "s3:*"}))
    result = run("simulate", *base, "--policy", malformed)
    assert result.returncode == 2
    assert "Policy statement must contain resources." in result.stderr
    assert run("simulate", *base, "--context", "no-equals-sign").returncode == 2
    assert run("simulate", "--action", "s3:GetObject").returncode == 2


def test_validate_prints_findings_and_exits_nonzero_on_error(tmp_path: Path) -> None:
    trust_with_resource = write(
        tmp_path,
        "t.json",
        statement_doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Resource": "*",
            }
        ),
    )
    result = run("validate", trust_with_resource, "--kind", "trust")
    assert result.returncode == 1
    assert "Has prohibited field Resource." in result.stdout
    assert run("validate", trust_with_resource, "--kind", "identity").returncode == 1


def test_validate_warning_only_exits_zero(tmp_path: Path) -> None:
    unknown_action = write(
        tmp_path, "w.json", statement_doc({"Effect": "Allow", "Action": "s3:GetObjectz", "Resource": "*"})
    )
    result = run("validate", unknown_action, "-o", "json")
    assert result.returncode == 0
    findings = json.loads(result.stdout)["findings"]
    assert [f["severity"] for f in findings] == ["WARNING"]


def test_validate_reports_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 1
    assert "Syntax errors in policy." in result.stdout
