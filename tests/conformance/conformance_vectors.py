"""Load the conformance vectors (YAML files under cases/) and run them through eksiam.policy.

Rules for the vectors, so that they stay evidence of AWS behaviour and not of ours:

1. Every case states the decision AWS documents (Allow, ExplicitDeny, ImplicitDeny) and cites the
   page it comes from (`source`, per case or per file). A case is never edited to agree with the
   engine; where the engine disagrees, the case gets `xfail: <reason naming the page>` and the run
   reports it as a strict xfail, so CI stays green and the gap stays visible.
2. The case format mirrors `eksiam policy simulate`: principal, action, resource, resource_account,
   policies, boundary, resource_policy, session_policies, scps (one list per organization level,
   root first), rcps (same), context (key -> string or list of strings; an empty list is an empty set).
   Optional `missing` lists the policy types an implicit deny must name as lacking an allow, and
   `deny_from` the policy type whose Deny statement an explicit deny must name.
3. The files are read with PyYAML's BaseLoader: every scalar stays a string, exactly as a JSON policy
   or a request context would carry it (no YAML 1.1 dates, booleans or numbers sneaking in).
   A policy may be written as a full document, as one statement, or as a list of statements; the
   last two are wrapped in {"Version": "2012-10-17", "Statement": ...}. `document_json` holds raw
   JSON text where a vector needs a non-string JSON value or invalid JSON.
4. A file may hold `defaults` (any case field) that each case may override.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

CASES = Path(__file__).parent / "cases"
DECISIONS = ("Allow", "ExplicitDeny", "ImplicitDeny")


@dataclass(frozen=True, slots=True)
class Vector:
    file: str
    name: str
    source: str
    body: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def load(*files: str) -> list[Vector]:
    vectors: list[Vector] = []
    for file in files:
        raw = yaml.load((CASES / file).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        default_source = raw.get("source", "")
        defaults = raw.get("defaults", {})
        names: set[str] = set()
        for written in raw["cases"]:
            case = {**defaults, **written}
            name = case["name"]
            assert name not in names, f"duplicate case name {name} in {file}"
            names.add(name)
            source = case.get("source", default_source)
            assert source.startswith("https://"), f"{file}::{name} cites no page"
            vectors.append(Vector(file=file, name=name, source=source, body=case))
    return vectors


def params(vectors: Sequence[Vector]) -> Iterator[Any]:
    for vector in vectors:
        marks = []
        reason = vector.body.get("xfail")
        if reason:
            marks.append(pytest.mark.xfail(strict=True, reason=f"{reason} ({vector.source})"))
        yield pytest.param(vector, id=vector.id, marks=marks)


def as_document(policy: Any) -> Any:
    """A full document stays as written; a statement or a list of statements is wrapped."""
    if isinstance(policy, str):
        return policy
    if isinstance(policy, Mapping) and "Statement" in policy:
        return dict(policy)
    if isinstance(policy, Mapping) and "document_json" in policy:
        return policy["document_json"]
    return {"Version": "2012-10-17", "Statement": policy}


def run_decision(vector: Vector) -> None:
    """Turn one decision vector into Request/PolicySet through the public API and check the result."""
    from eksiam.policy import PolicyKind, PolicySet, Request, evaluate, explain, parse_policy

    case = vector.body
    expect = case["expect"]
    assert expect in DECISIONS, f"{vector.id}: expect must be one of {DECISIONS}"

    def parsed(policy: Any, kind: PolicyKind, label: str) -> Any:
        return parse_policy(as_document(policy), kind, policy_id=f"{vector.name}/{label}")

    identity = [
        parsed(p, PolicyKind.IDENTITY, f"identity{i}") for i, p in enumerate(case.get("policies", []))
    ]
    boundary = case.get("boundary")
    resource_policy = case.get("resource_policy")
    resource_kind = PolicyKind.TRUST if case.get("resource_kind") == "trust" else PolicyKind.RESOURCE
    session = [
        parsed(p, PolicyKind.SESSION, f"session{i}") for i, p in enumerate(case.get("session_policies", []))
    ]
    scps = [
        [parsed(p, PolicyKind.SCP, f"scp{level}.{i}") for i, p in enumerate(policies)]
        for level, policies in enumerate(case.get("scps", []))
    ]
    rcps = [
        [parsed(p, PolicyKind.RCP, f"rcp{level}.{i}") for i, p in enumerate(policies)]
        for level, policies in enumerate(case.get("rcps", []))
    ]
    policy_set = PolicySet(
        identity=identity,
        boundary=parsed(boundary, PolicyKind.BOUNDARY, "boundary") if boundary is not None else None,
        session=session,
        resource=parsed(resource_policy, resource_kind, "resource") if resource_policy is not None else None,
        scps=scps,
        rcps=rcps,
    )
    context: dict[str, str | list[str]] = {
        key: list(value) if isinstance(value, list) else value
        for key, value in case.get("context", {}).items()
    }
    request = Request(
        principal=case["principal"],
        action=case["action"],
        resource=case["resource"],
        resource_account=case.get("resource_account"),
        context=context,
    )
    decision = evaluate(request, policy_set)
    assert decision.kind.value == expect, (
        f"{vector.id}: AWS documents {expect}, engine answered {decision.kind.value} (see {vector.source})"
    )
    assert decision.allowed is (expect == "Allow")
    assert decision.to_dict()["decision"] == expect
    assert explain(decision).strip(), f"{vector.id}: empty explanation"
    if expect == "ExplicitDeny":
        deciding = [m for m in decision.matched if m.effect == "Deny"]
        assert deciding, f"{vector.id}: an explicit deny must name the Deny statement that decided it"
        if "deny_from" in case:
            kinds = {m.policy_kind.value for m in deciding}
            assert case["deny_from"] in kinds, f"{vector.id}: deny came from {kinds}, not {case['deny_from']}"
    for kind in case.get("missing", []):
        missing = [m.value for m in decision.missing]
        assert kind in missing, f"{vector.id}: {kind} should be named as lacking an allow, got {missing}"


def run_validation(vector: Vector) -> None:
    """Check parse_policy/validate_policy against one validation vector."""
    from eksiam.policy import MalformedPolicyDocument, PolicyKind, parse_policy, validate_policy

    case = vector.body
    kind = PolicyKind(case.get("kind", "identity"))
    document = case["document_json"] if "document_json" in case else as_document(case["document"])
    expect = case["expect"]
    findings = validate_policy(document, kind)
    errors = [f for f in findings if f.severity == "ERROR"]
    warnings = [f for f in findings if f.severity == "WARNING"]
    if expect == "malformed":
        with pytest.raises(MalformedPolicyDocument) as caught:
            parse_policy(document, kind, policy_id=vector.name)
        assert errors, f"{vector.id}: validate_policy found no ERROR"
        accepted = [case["message"]] if "message" in case else list(case.get("message_any_of", []))
        if accepted:
            assert caught.value.message in accepted, (
                f"{vector.id}: IAM answers {accepted!r}, engine said {caught.value.message!r}"
            )
            assert any(f.message in accepted for f in errors), f"{vector.id}: no finding carries IAM's text"
    elif expect in ("valid", "warning"):
        assert not errors, f"{vector.id}: unexpected errors {[e.message for e in errors]}"
        parse_policy(document, kind, policy_id=vector.name)
        if expect == "warning":
            assert warnings, f"{vector.id}: expected a WARNING finding"
    else:
        raise AssertionError(f"{vector.id}: expect must be malformed, valid or warning")
