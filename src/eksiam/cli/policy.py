"""``eksiam policy``: decide and validate IAM policies offline, with the engine the server uses.

``simulate`` evaluates one request against policy files and prints the decision with its reasons;
it exits 0 whatever the decision (read it from the output, ``-o json`` gives ``"decision"``) and 2
on a usage error: an unreadable file, a malformed policy or a bad ``--context``. ``validate``
prints a document's findings and exits 1 when one is an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from eksiam.policy import (
    MalformedPolicyDocument,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    evaluate,
    explain,
    explain_json,
    parse_policy,
    validate_policy,
)

app = typer.Typer(
    name="policy",
    help="Evaluate and validate IAM policies offline.",
    no_args_is_help=True,
    add_completion=False,
)

# Actions whose resource-based policy is the role's trust policy (IAM User Guide, "Role trust policies").
TRUST_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithwebidentity",
        "sts:assumerolewithsaml",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)
OUTPUTS = ("text", "json")


def _read(path: Path, option: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise typer.BadParameter(f"cannot read {path}: {error.strerror}", param_hint=option) from error
    except ValueError as error:
        raise typer.BadParameter(f"{path} is not JSON: {error}", param_hint=option) from error


def _parse(document: Any, kind: PolicyKind, label: str, option: str) -> Policy:
    try:
        return parse_policy(
            document if isinstance(document, dict) else json.dumps(document), kind, policy_id=label
        )
    except MalformedPolicyDocument as error:
        raise typer.BadParameter(
            f"{label}: MalformedPolicyDocument: {error.message} (at {error.path})", param_hint=option
        ) from error


def _policies(path: Path, kind: PolicyKind, option: str) -> list[Policy]:
    """A file holds one policy document, or a JSON list of them."""
    raw = _read(path, option)
    documents = raw if isinstance(raw, list) else [raw]
    return [
        _parse(document, kind, str(path) if len(documents) == 1 else f"{path}[{i}]", option)
        for i, document in enumerate(documents)
    ]


def _one(path: Path | None, kind: PolicyKind, option: str) -> Policy | None:
    return _parse(_read(path, option), kind, str(path), option) if path is not None else None


def _context(pairs: list[str], context_file: Path | None) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {}
    if context_file is not None:
        raw = _read(context_file, "--context-file")
        if not isinstance(raw, dict):
            raise typer.BadParameter(
                "must hold a JSON object of key to value(s)", param_hint="--context-file"
            )
        for key, value in raw.items():
            if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                values[key] = value
            else:
                raise typer.BadParameter(
                    f"{key}: values are strings or lists of strings", param_hint="--context-file"
                )
    given: dict[str, list[str]] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--context")
        given.setdefault(key, []).append(value)
    for key, listed in given.items():
        values[key] = listed[0] if len(listed) == 1 else listed
    return values


@app.command()
def simulate(
    principal: Annotated[
        str, typer.Option(help="IAM/STS ARN, OIDC or SAML provider ARN, or a service like ec2.amazonaws.com.")
    ],
    action: Annotated[str, typer.Option(help="The action, e.g. s3:GetObject.")],
    resource: Annotated[str, typer.Option(help="The resource ARN (or *).")],
    resource_account: Annotated[
        str | None, typer.Option(help="The resource's account; defaults to the principal's.")
    ] = None,
    policy: Annotated[
        list[Path] | None, typer.Option(help="Identity-based policy file (repeatable).")
    ] = None,
    boundary: Annotated[Path | None, typer.Option(help="Permissions boundary policy file.")] = None,
    resource_policy: Annotated[
        Path | None, typer.Option(help="Resource-based policy file (the trust policy for sts:AssumeRole*).")
    ] = None,
    session_policy: Annotated[
        list[Path] | None, typer.Option(help="Session policy file (repeatable).")
    ] = None,
    scp: Annotated[
        list[Path] | None,
        typer.Option(help="One organization level per use, root first: a policy or a JSON list of policies."),
    ] = None,
    rcp: Annotated[
        list[Path] | None, typer.Option(help="Resource control policies, one organization level per use.")
    ] = None,
    context: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE condition key; repeat a key for several values.")
    ] = None,
    context_file: Annotated[
        Path | None,
        typer.Option(help="JSON object of key to string or list of strings ([] is the empty set)."),
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="'text' or 'json'.")] = "text",
) -> None:
    """Decide one request and explain why. Exits 0 whatever the decision; 2 on a usage error."""
    if output not in OUTPUTS:
        raise typer.BadParameter(f"choose one of {', '.join(OUTPUTS)}", param_hint="--output")
    resource_kind = PolicyKind.TRUST if action.lower() in TRUST_ACTIONS else PolicyKind.RESOURCE
    policies = PolicySet(
        identity=[p for path in policy or [] for p in _policies(path, PolicyKind.IDENTITY, "--policy")],
        boundary=_one(boundary, PolicyKind.BOUNDARY, "--boundary"),
        session=[
            p
            for path in session_policy or []
            for p in _policies(path, PolicyKind.SESSION, "--session-policy")
        ],
        resource=_one(resource_policy, resource_kind, "--resource-policy"),
        scps=[_policies(path, PolicyKind.SCP, "--scp") for path in scp or []],
        rcps=[_policies(path, PolicyKind.RCP, "--rcp") for path in rcp or []],
    )
    request = Request(principal, action, resource, resource_account, _context(context or [], context_file))
    decision = evaluate(request, policies)
    if output == "json":
        typer.echo(json.dumps(explain_json(decision), indent=2))
    else:
        typer.echo(explain(decision))


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="The policy document (JSON).")],
    kind: Annotated[PolicyKind, typer.Option(help="What the policy is attached as.")] = PolicyKind.IDENTITY,
    output: Annotated[str, typer.Option("--output", "-o", help="'text' or 'json'.")] = "text",
) -> None:
    """Print a policy's findings (IAM's errors, catalogue warnings); exit 1 if there is an error."""
    if output not in OUTPUTS:
        raise typer.BadParameter(f"choose one of {', '.join(OUTPUTS)}", param_hint="--output")
    try:
        text = file.read_bytes()
    except OSError as error:
        raise typer.BadParameter(f"cannot read {file}: {error.strerror}", param_hint="FILE") from error
    findings = validate_policy(text, kind)
    if output == "json":
        typer.echo(json.dumps({"findings": [f.to_dict() for f in findings]}, indent=2))
    else:
        for finding in findings:
            typer.echo(f"{finding.severity} {finding.path}: {finding.message}")
        if not findings:
            typer.echo("no findings")
    if any(finding.severity == "ERROR" for finding in findings):
        raise typer.Exit(1)
