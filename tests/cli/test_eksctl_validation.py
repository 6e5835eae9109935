"""Flag and ClusterConfig validation of the eksctl-compatible commands, run as the console script.

Messages are eksctl's (irsa-and-eksctl.md 2.1, 2.2, 2.5; eksctl ``cmdutils/configfile.go``,
``v1alpha5/validation.go``); each failure exits 1 with ``Error:`` and a hint, and needs no server
(validation happens before any request: the endpoint given here does not exist).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from eksiam.cli.eksctl.cluster_config import parse_config
from eksiam.cli.eksctl.config_schema import ConfigError
from eksiam.cli.eksctl.filters import NameFilter
from eksiam.cli.eksctl.output import CommandError

EKSIAM = shutil.which("eksiam")
NOWHERE = "http://127.0.0.1:9"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert EKSIAM is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    return subprocess.run(
        [EKSIAM, *args, "--endpoint-url", NOWHERE],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )


needs_script = pytest.mark.skipif(EKSIAM is None, reason="the eksiam console script is not installed")


@needs_script
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name=a", "--attach-policy-arn=arn:aws:iam::aws:policy/X"], "--cluster must be set"),
        (["--cluster=c", "--attach-policy-arn=arn:aws:iam::aws:policy/X"], "--name must be set"),
        (
            ["--cluster=c", "--name=a", "b", "--attach-policy-arn=p"],
            "--name=a and argument b cannot be used at the same time",
        ),
        (["--cluster=c", "--name=a"], "--attach-policy-arn or --attach-role-arn must be set"),
        (
            ["--cluster=c", "--name=a", "--attach-role-arn=arn:aws:iam::1:role/r", "--role-only"],
            "cannot provide --role-name or --role-only when --attach-role-arn is configured",
        ),
        (
            ["--cluster=c", "--name=a", "--attach-role-arn=arn:aws:iam::1:role/r", "--attach-policy-arn=p"],
            "cannot provide --attach-role-arn and specify polices to attach",
        ),
        (
            ["--cluster=c", "--name=a", "--attach-policy-arn=p", "--tags", "novalue"],
            '--tags: "novalue" is not key=value',
        ),
    ],
)
def test_create_iamserviceaccount_flag_errors(args: list[str], message: str) -> None:
    result = run("create", "iamserviceaccount", *args)
    assert result.returncode == 1
    assert f"Error: {message}" in result.stderr
    assert "Traceback" not in result.stderr


@needs_script
def test_delete_without_config_file_refuses_only_missing() -> None:
    result = run("delete", "iamserviceaccount", "--cluster=c", "--name=a", "--only-missing")
    assert result.returncode == 1 and "--only-missing can only be used with --config-file" in result.stderr


@needs_script
def test_unknown_output_format_is_refused() -> None:
    result = run("get", "iamserviceaccount", "--cluster=c", "-o", "xml")
    assert result.returncode == 1 and 'unknown output format "xml"' in result.stderr


@needs_script
def test_config_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c}\n"
        "iam:\n  withOIDC: true\n  serviceAccounts:\n  - metadata: {name: a}\n    atachPolicyARNs: [x]\n"
    )
    result = run("create", "iamserviceaccount", "--config-file=bad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert (
        'loading config file "bad.yaml": unknown field "iam.serviceAccounts[0].atachPolicyARNs"'
        in result.stderr
    )
    assert "Hint:" in result.stderr


@needs_script
def test_missing_service_accounts_section_is_reported(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c}\n"
    )
    result = run("create", "iamserviceaccount", "-f", "c.yaml", cwd=tmp_path)
    assert result.returncode == 1 and "'iam.serviceAccounts' is not defined in \"c.yaml\"" in result.stderr
    oidc = run("utils", "associate-iam-oidc-provider", "-f", "c.yaml", cwd=tmp_path)
    assert oidc.returncode == 1 and "'iam.withOIDC' is not enabled in \"c.yaml\"" in oidc.stderr


def config(**iam: object) -> dict[str, object]:
    return {
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {"name": "c"},
        "iam": iam,
    }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"kind": "ClusterConfig", "metadata": {"name": "c"}}, 'apiVersion: must be "eksctl.io/v1alpha5"'),
        ({**config(), "kind": "Cluster"}, 'kind: must be "ClusterConfig"'),
        ({**config(), "metadata": {}}, "metadata.name must be set"),
        (config(withOIDC="yes"), "iam.withOIDC: must be true or false"),
        (
            config(serviceAccounts=[{"metadata": {"name": "a"}, "attachPolicyARNs": ["p"]}]),
            "iam.withOIDC must be enabled explicitly for iam.serviceAccounts to be created",
        ),
        (
            config(withOIDC=True, serviceAccounts=[{"attachPolicyARNs": ["p"]}]),
            "iam.serviceAccounts[0].name must be set",
        ),
        (
            config(withOIDC=True, serviceAccounts=[{"metadata": {"name": "a"}}]),
            "iam.serviceAccounts[0]: at least one of attachPolicyARNs, attachPolicy, wellKnownPolicies",
        ),
        (
            config(
                withOIDC=True,
                serviceAccounts=[{"metadata": {"name": "a"}, "attachPolicyARNs": ["p"]}] * 2,
            ),
            '"default/a" is defined more than once',
        ),
        (
            config(
                withOIDC=True,
                serviceAccounts=[{"metadata": {"name": "a"}, "wellKnownPolicies": {"dns": True}}],
            ),
            'unknown field "iam.serviceAccounts[0].wellKnownPolicies.dns"',
        ),
        (
            {**config(), "nodeGroups": [{"name": "ng", "iam": {"withAddonPolicies": {"ebs": 1}}}]},
            "must be true or false",
        ),
        (
            {**config(), "fargateProfiles": [{"name": "fp"}]},
            "fargateProfiles[0].selectors must have at least one selector",
        ),
    ],
)
def test_config_validation_names_the_field(document: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(document, "f.yaml", "us-east-1")
    assert message in str(caught.value)


def test_config_defaults_follow_eksctl() -> None:
    parsed = parse_config(
        config(
            withOIDC=True,
            serviceAccounts=[{"metadata": {"name": "a"}, "wellKnownPolicies": {"autoScaler": True}}],
        ),
        "f.yaml",
        "eu-west-1",
    )
    account = parsed.service_accounts[0]
    assert (parsed.region, account.namespace, account.well_known_policies) == (
        "eu-west-1",
        "default",
        ("autoScaler",),
    )
    assert parsed.vpc_resource_controller_policy is True


def test_include_exclude_globs_match_namespace_slash_name() -> None:
    names = ["backend-apps/s3-reader", "backend-apps/dynamo-writer", "kube-system/dynamo-x"]
    assert NameFilter(include=("*/dynamo-*",)).select(names) == names[1:]
    assert NameFilter(include=("backend-apps/*",), exclude=("*/dynamo-*",)).select(names) == names[:1]
    assert NameFilter(exclude=("kube-system/*",)).select(names) == names[:2]
    assert NameFilter(include=("{kube-system,other}/*",)).select(names) == names[2:]
    with pytest.raises(
        CommandError, match='no iamserviceaccounts match include glob filter specification: "x/y"'
    ):
        NameFilter(include=("x/y",)).select(names)
