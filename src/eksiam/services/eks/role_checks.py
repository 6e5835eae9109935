"""Does a role work for what EKS will use it for? The "check for an existing role" procedures.

The EKS User Guide pages (cluster role, node role, Fargate pod execution role, connector role, Pod
Identity) each say which service the role must trust and which permissions it must hold. A check
here answers both questions with the policy engine, not by comparing JSON:

- trust: the role's trust policy must allow the service principal ``sts:AssumeRole`` (and the other
  actions the page names, e.g. ``sts:TagSession`` for Pod Identity), with the confused-deputy
  context EKS sends (``aws:SourceAccount``, ``aws:SourceArn``) when it is known;
- permissions: every action the required AWS managed policy allows must be allowed by the role's own
  policies (attached, or a custom policy with at least those permissions, as the node role page
  puts it), each evaluated on the resource the managed policy names.

Findings carry the fix in the words of the documents, so ``eksiam check`` can print them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eksiam.policy import PolicyKind, PolicySet, Request, evaluate, parse_policy
from eksiam.services.iam import managed_policies
from eksiam.services.principal_policies import PrincipalPolicies

AWS_POLICY = "arn:aws:iam::aws:policy/"
CNI_POLICY = AWS_POLICY + "AmazonEKS_CNI_Policy"
# The node role page names ReadOnly; newer pages and tools use PullOnly (iam-rules.md 7): either will do.
EQUIVALENT_POLICIES = {"AmazonEC2ContainerRegistryReadOnly": "AmazonEC2ContainerRegistryPullOnly"}


@dataclass(frozen=True, slots=True)
class RolePurpose:
    name: str
    service: str
    trust_actions: tuple[str, ...]
    policies: tuple[str, ...] = ()
    inline_actions: tuple[tuple[str, str], ...] = ()
    guide: str = ""


PURPOSES: dict[str, RolePurpose] = {
    p.name: p
    for p in (
        RolePurpose(
            "cluster-role",
            "eks.amazonaws.com",
            ("sts:AssumeRole",),
            ("AmazonEKSClusterPolicy",),
            guide="https://docs.aws.amazon.com/eks/latest/userguide/cluster-iam-role.html",
        ),
        RolePurpose(
            "node-role",
            "ec2.amazonaws.com",
            ("sts:AssumeRole",),
            ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"),
            guide="https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html",
        ),
        RolePurpose(
            "fargate-role",
            "eks-fargate-pods.amazonaws.com",
            ("sts:AssumeRole",),
            ("AmazonEKSFargatePodExecutionRolePolicy",),
            guide="https://docs.aws.amazon.com/eks/latest/userguide/pod-execution-role.html",
        ),
        RolePurpose(
            "connector-role",
            "ssm.amazonaws.com",
            ("sts:AssumeRole",),
            inline_actions=(
                ("ssmmessages:CreateControlChannel", "arn:aws:eks:*:*:cluster/*"),
                ("ssmmessages:CreateDataChannel", "*"),
                ("ssmmessages:OpenDataChannel", "*"),
                ("ssmmessages:OpenControlChannel", "*"),
            ),
            guide="https://docs.aws.amazon.com/eks/latest/userguide/connector-iam-role.html",
        ),
        RolePurpose(
            "pod-identity-role",
            "pods.eks.amazonaws.com",
            ("sts:AssumeRole", "sts:TagSession"),
            guide="https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # "error" | "warning"
    message: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class RoleReport:
    purpose: str
    role_arn: str
    findings: tuple[Finding, ...] = ()
    missing_policies: tuple[str, ...] = ()
    trusts_service: bool = True
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "roleArn": self.role_arn,
            "ok": self.ok,
            "trustsService": self.trusts_service,
            "missingPolicies": list(self.missing_policies),
            "findings": [{"severity": f.severity, "message": f.message, "fix": f.fix} for f in self.findings],
        }


def _trust_statement(purpose: RolePurpose) -> str:
    actions: Any = list(purpose.trust_actions) if len(purpose.trust_actions) > 1 else purpose.trust_actions[0]
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": purpose.service}, "Action": actions}],
    }
    return json.dumps(document)


def trusts(role: Mapping[str, Any], service: str, action: str, context: Mapping[str, str]) -> bool:
    """Whether the role's trust policy lets ``service`` perform ``action`` on the role."""
    trust = parse_policy(role["AssumeRolePolicyDocument"], PolicyKind.TRUST, policy_id=f"{role['Arn']}#trust")
    decision = evaluate(
        Request(principal=service, action=action, resource=role["Arn"], context=dict(context)),
        PolicySet(resource=trust),
    )
    return decision.allowed


def _policy_set(found: PrincipalPolicies) -> PolicySet:
    identity = tuple(
        parse_policy(p.document, PolicyKind.IDENTITY, policy_id=p.policy_id) for p in found.identity
    )
    boundary = (
        parse_policy(found.boundary.document, PolicyKind.BOUNDARY, policy_id=found.boundary.policy_id)
        if found.boundary
        else None
    )
    return PolicySet(identity=identity, boundary=boundary)


def _allowed(policies: PolicySet, role_arn: str, action: str, resource: str) -> bool:
    return evaluate(Request(principal=role_arn, action=action, resource=resource), policies).allowed


@cache
def _required_actions(policy_name: str) -> tuple[tuple[str, str], ...]:
    """(action, resource) pairs of the unconditional Allow statements of an AWS managed policy."""
    policy = managed_policies.lookup(AWS_POLICY + policy_name)
    if policy is None:
        return ()
    document = json.loads(policy.default_document)
    statements = document["Statement"]
    pairs: list[tuple[str, str]] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow" or "Condition" in statement or "Action" not in statement:
            continue
        actions = statement["Action"]
        resources = statement.get("Resource", "*")
        resource = (resources if isinstance(resources, str) else resources[0]).replace("*", "x")
        for action in [actions] if isinstance(actions, str) else actions:
            pairs.append((action, resource))
    return tuple(pairs)


def _missing_permissions(policies: PolicySet, role_arn: str, pairs: Sequence[tuple[str, str]]) -> list[str]:
    return [action for action, resource in pairs if not _allowed(policies, role_arn, action, resource)]


def check_role(
    purpose_name: str,
    role: Mapping[str, Any],
    found: PrincipalPolicies,
    *,
    context: Mapping[str, str] | None = None,
) -> RoleReport:
    """Run the document's checks for ``role`` (a stored role record) used as ``purpose_name``."""
    purpose = PURPOSES[purpose_name]
    role_arn = str(role["Arn"])
    findings: list[Finding] = []
    untrusted = [a for a in purpose.trust_actions if not trusts(role, purpose.service, a, context or {})]
    if untrusted:
        findings.append(
            Finding(
                "error",
                f"The trust policy of {role_arn} does not allow {purpose.service} to perform "
                f"{', '.join(untrusted)}.",
                f"Update the trust relationship to: {_trust_statement(purpose)}",
            )
        )
    policies = _policy_set(found)
    missing_policies: list[str] = []
    for policy_name in purpose.policies:
        missing = _missing_permissions(policies, role_arn, _required_actions(policy_name))
        alternative = EQUIVALENT_POLICIES.get(policy_name)
        if (
            missing
            and alternative
            and not _missing_permissions(policies, role_arn, _required_actions(alternative))
        ):
            continue
        if missing:
            missing_policies.append(AWS_POLICY + policy_name)
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            findings.append(
                Finding(
                    "error",
                    f"{role_arn} lacks permissions of {policy_name}: {shown}.",
                    f"aws iam attach-role-policy --role-name {role['RoleName']} "
                    f"--policy-arn {AWS_POLICY}{policy_name} "
                    "(or attach a custom policy with those permissions)",
                )
            )
    if purpose.inline_actions:
        missing = _missing_permissions(policies, role_arn, purpose.inline_actions)
        if missing:
            findings.append(
                Finding(
                    "error",
                    f"{role_arn} lacks the EKS Connector agent permissions: {', '.join(missing)}.",
                    "Add the inline policy AmazonEKSConnectorAgentPolicy from the connector role document.",
                )
            )
    if purpose_name == "node-role":
        cni = _missing_permissions(policies, role_arn, _required_actions("AmazonEKS_CNI_Policy"))
        if cni:
            findings.append(
                Finding(
                    "warning",
                    f"{role_arn} has no Amazon VPC CNI permissions ({', '.join(cni[:3])} ...).",
                    "Unless the aws-node service account has an IRSA or Pod Identity role, "
                    f"attach {CNI_POLICY} (IPv4) "
                    "or the AmazonEKS_CNI_IPv6_Policy of the node role document (IPv6).",
                )
            )
    return RoleReport(
        purpose_name,
        role_arn,
        tuple(findings),
        tuple(missing_policies),
        trusts_service=not untrusted,
    )
