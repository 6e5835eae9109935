"""``create|get|update|delete iamserviceaccount``: eksctl's flows (irsa-and-eksctl.md 2.2-2.5; eksctl
``pkg/ctl/{create,get,update,delete}/iamserviceaccount.go``, ``pkg/actions/irsa``, ``pkg/cfn/manager``).

An iamserviceaccount is an IAM role in a stack named ``eksctl-<cluster>-addon-iamserviceaccount-<ns>-<name>``
(tagged ``alpha.eksctl.io/iamserviceaccount-name=<ns>/<name>``, which is how ``get`` and ``delete`` find
it) plus, unless role-only, a Kubernetes ServiceAccount annotated with the role. ``--attach-role-arn``
uses an existing role: no stack, so ``get`` does not list it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eksiam.cli.eksctl.cluster_config import ClusterConfig, ServiceAccount
from eksiam.cli.eksctl.filters import NameFilter
from eksiam.cli.eksctl.oidc import NO_CHANGES, provider_state
from eksiam.cli.eksctl.output import CommandError, info, progress, success, warn
from eksiam.cli.eksctl.service_accounts import ServiceAccounts, service_accounts
from eksiam.cli.eksctl.stack_record import Stack, StackError
from eksiam.cli.eksctl.stacks import open_stacks
from eksiam.cli.eksctl.target import Target
from eksiam.cli.eksctl.templates import IRSA_TAG, irsa_stack

CNI_ACCOUNT_KEY = "kube-system/aws-node"
ALL = NameFilter()


def aws_node(partition: str) -> ServiceAccount:
    """The SA eksctl adds for the VPC CNI when ``withOIDC`` is on and no ``vpc-cni`` addon is declared."""
    return ServiceAccount(
        name="aws-node",
        namespace="kube-system",
        attach_policy_arns=(f"arn:{partition}:iam::aws:policy/AmazonEKS_CNI_Policy",),
    )


def _describe(accounts: Sequence[ServiceAccount]) -> str:
    return ", ".join(a.key for a in accounts)


def existing_stacks(where: Target, cluster: str) -> dict[str, Stack]:
    stacks = open_stacks(where.session, where.endpoint, where.region)
    return {stack.tags[IRSA_TAG]: stack for stack in stacks.find(IRSA_TAG, cluster)}


def create(
    where: Target,
    cluster: str,
    accounts: Sequence[ServiceAccount],
    *,
    name_filter: NameFilter = ALL,
    override_existing: bool = False,
    approve: bool = False,
    metadata_tags: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Create the selected iamserviceaccounts; returns what was created (SA key -> role ARN)."""
    state = provider_state(where, cluster)
    if not state.exists:
        warn(
            "no IAM OIDC provider associated with cluster, try "
            f"'eksiam utils associate-iam-oidc-provider --region={where.region} --cluster={cluster}'"
        )
        raise CommandError(
            "unable to create iamserviceaccount(s) without IAM OIDC provider enabled",
            f"run `eksiam utils associate-iam-oidc-provider --cluster={cluster} --approve` first",
        )
    selected = [a for a in accounts if a.key in name_filter.select([a.key for a in accounts])]
    stacks = open_stacks(where.session, where.endpoint, where.region)
    with_stack = {stack.tags[IRSA_TAG] for stack in stacks.find(IRSA_TAG, cluster)}
    kube: ServiceAccounts | None = None
    if any(not a.role_only for a in selected):
        kube = service_accounts(where, cluster)
    excluded = [a for a in selected if a.key in with_stack]
    if kube is not None and not override_existing:
        excluded += [
            a
            for a in selected
            if a not in excluded and not a.role_only and kube.get(a.namespace, a.name) is not None
        ]
    if excluded:
        info(f"{len(excluded)} existing iamserviceaccount(s) ({_describe(excluded)}) will be excluded")
        clash = [a.key for a in excluded if name_filter.include and name_filter.allows(a.key)]
        if clash:
            raise CommandError(
                f'existing iamserviceaccount "{clash[0]}" should be excluded, but matches include filter: '
                f"{','.join(name_filter.include)}",
                "delete it first (`eksiam delete iamserviceaccount`) or narrow --include",
            )
    todo = [a for a in selected if a not in excluded]
    if todo:
        info(
            f"{len(todo)} iamserviceaccount(s) ({_describe(todo)}) will be included "
            "(based on the include/exclude rules)"
        )
    if not approve:
        for account in todo:
            if account.attach_role_arn:
                info(f'will use existing role "{account.attach_role_arn}" for serviceaccount "{account.key}"')
            else:
                info(f'will create IAM role stack for serviceaccount "{account.key}"')
            if not account.role_only:
                info(f'will create serviceaccount "{account.key}" annotated with the role ARN')
        info(NO_CHANGES)
        return []
    created: list[dict[str, Any]] = []
    with progress(len(todo) * 2) as step:
        for account in todo:
            role_arn = account.attach_role_arn
            if not role_arn:
                spec = irsa_stack(
                    cluster, account, where.partition, where.account, state.issuer, metadata_tags or {}
                )
                step(f"deploying stack {spec.name}")
                info(f'deploying stack "{spec.name}"')
                try:
                    role_arn = stacks.create(spec).outputs["Role1"]
                except StackError as err:
                    raise CommandError(
                        f"failed to create iamserviceaccount(s): {err}",
                        "fix the cause above; nothing is left behind for this service account, "
                        "so re-run the command",
                    ) from None
            else:
                step(f"using role {role_arn}")
            if not account.role_only and kube is not None:
                step(f"serviceaccount {account.key}")
                outcome = kube.apply(
                    account.namespace, account.name, role_arn, account.labels, account.annotations
                )
                if outcome == "unchanged":
                    info(f'serviceaccount "{account.key}" is already up-to-date')
                else:
                    success(f'{outcome} serviceaccount "{account.key}"')
            else:
                info(f'role-only: serviceaccount "{account.key}" is not created or annotated')
            created.append({"namespace": account.namespace, "name": account.name, "roleARN": role_arn})
    return created


def listing(where: Target, cluster: str, name: str | None, namespace: str | None) -> list[dict[str, Any]]:
    """``get``: the ClusterIAMServiceAccount objects of the cluster's stacks, optionally filtered."""
    where.cluster(cluster)
    found = []
    for key, stack in sorted(existing_stacks(where, cluster).items()):
        ns, _, sa = key.partition("/")
        if (name and sa != name) or (namespace and ns != namespace):
            continue
        found.append(
            {
                "metadata": {"name": sa, "namespace": ns},
                "status": {
                    "roleARN": stack.outputs.get("Role1", ""),
                    "stackName": stack.name,
                    "tags": stack.tags,
                    "capabilities": list(stack.capabilities),
                },
            }
        )
    return found


def update(
    where: Target,
    cluster: str,
    accounts: Sequence[ServiceAccount],
    *,
    approve: bool,
    metadata_tags: dict[str, str] | None = None,
) -> list[str]:
    """Rebuild each selected stack from the complete desired spec; the Kubernetes SA is not touched."""
    state = provider_state(where, cluster)
    stacks = open_stacks(where.session, where.endpoint, where.region)
    current = {stack.tags[IRSA_TAG]: stack for stack in stacks.find(IRSA_TAG, cluster)}
    missing = [a for a in accounts if a.key not in current]
    for account in missing:
        warn(f"cannot update IAMServiceAccount {account.key} as it does not exist")
    todo = [a for a in accounts if a.key in current]
    for account in todo:
        info(f'will update IAM role stack "{current[account.key].name}" for serviceaccount "{account.key}"')
    if not approve:
        info(NO_CHANGES)
        return []
    updated = []
    for account in todo:
        spec = irsa_stack(cluster, account, where.partition, where.account, state.issuer, metadata_tags or {})
        try:
            stacks.update(spec)
        except StackError as err:
            raise CommandError(f"failed to update iamserviceaccount {account.key}: {err}") from None
        success(f'updated IAM role stack "{spec.name}" for serviceaccount "{account.key}"')
        updated.append(account.key)
    if missing and not todo:
        raise CommandError(
            f"no iamserviceaccount to update ({_describe(missing)} not found)",
            "create it first with `eksiam create iamserviceaccount`",
        )
    return updated


def delete(
    where: Target, cluster: str, keys: Sequence[str], *, approve: bool = True, wait: bool = False
) -> list[str]:
    """Delete each SA's stack (if any), then the SA when eksctl created it (managed-by label)."""
    where.cluster(cluster)
    stacks = open_stacks(where.session, where.endpoint, where.region)
    current = {stack.tags[IRSA_TAG]: stack for stack in stacks.find(IRSA_TAG, cluster)}
    for key in keys:
        info(
            f'will delete iamserviceaccount "{key}"'
            + (f' (stack "{current[key].name}")' if key in current else "")
        )
    if not approve:
        info(NO_CHANGES)
        return []
    kube = service_accounts(where, cluster)
    deleted = []
    for key in keys:
        namespace, _, name = key.partition("/")
        if key in current:
            try:
                stacks.delete(current[key], wait=wait)
            except StackError as err:
                raise CommandError(f"deleting iamserviceaccount {key}: {err}") from None
            info(f'deleted stack "{current[key].name}"')
        outcome = kube.delete_if_managed(namespace, name)
        if outcome == "deleted":
            success(f'deleted serviceaccount "{key}"')
        elif outcome == "not-managed":
            warn(f'serviceaccount "{key}" was not created by eksctl; will not be deleted')
        elif key not in current:
            warn(f'iamserviceaccount "{key}" was not found')
        deleted.append(key)
    return deleted


def missing_from_config(where: Target, config: ClusterConfig) -> list[str]:
    """``--only-missing``: stacks of the cluster the config does not declare (aws-node counts as declared
    when ``withOIDC`` is on and no ``vpc-cni`` addon is declared)."""
    declared = {a.key for a in config.service_accounts}
    if config.with_oidc and not config.has_vpc_cni_addon:
        declared.add(CNI_ACCOUNT_KEY)
    return sorted(key for key in existing_stacks(where, config.name) if key not in declared)
