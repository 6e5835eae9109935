"""Find an entity by name or ARN inside a unit of work, or raise the NoSuchEntity AWS sends.

Names are looked up case-insensitively (records.py rule 1). A policy ARN names either a customer
managed policy of the caller's account or an AWS managed policy (account ``aws``); a customer
policy ARN whose path differs from the stored one does not exist.
"""

from __future__ import annotations

from eksiam.arn import Arn, InvalidArn
from eksiam.services.iam import records as r
from eksiam.services.iam.errors import InvalidInput, NoSuchEntity
from eksiam.storage import Record, UnitOfWork


def find_entity(uow: UnitOfWork, account: str, kind: str, name: str) -> Record:
    """A user, group or role record."""
    record = uow.get(kind, account, r.name_key(name))
    if record is None:
        raise NoSuchEntity.entity(kind, name)
    return record


def find_instance_profile(uow: UnitOfWork, account: str, name: str) -> Record:
    record = uow.get(r.INSTANCE_PROFILE, account, r.name_key(name))
    if record is None:
        raise NoSuchEntity(f"Instance Profile {name} cannot be found.")
    return record


def parse_policy_arn(arn: str) -> tuple[str, str, str]:
    """(account, path, name) of ``arn:aws:iam::<acct>:policy<path><name>``; InvalidInput otherwise."""
    try:
        parsed = Arn.parse(arn)
    except InvalidArn:
        raise InvalidInput(f"ARN {arn} is not valid.") from None
    if parsed.service != "iam" or parsed.region or not parsed.resource.startswith("policy/"):
        raise InvalidInput(f"ARN {arn} is not valid.")
    rest = parsed.resource[len("policy") :]
    cut = rest.rfind("/")
    return parsed.account, rest[: cut + 1], rest[cut + 1 :]


def find_policy(uow: UnitOfWork, account: str, arn: str, catalog: r.ManagedPolicyCatalog) -> Record | None:
    """The managed policy record for ``arn``; AWS managed ones get this account's usage counts."""
    owner, _path, name = parse_policy_arn(arn)
    if owner == r.AWS_MANAGED_ACCOUNT:
        found = catalog.policy(arn)
        if found is None:
            return None
        record = dict(found)
        record["AttachmentCount"] = uow.count(r.ATTACHMENT, account, prefix=arn + "|")
        record["PermissionsBoundaryUsageCount"] = uow.count(r.BOUNDARY_USAGE, account, prefix=arn + "|")
        return record
    if owner != account or not name:
        return None
    stored = uow.get(r.POLICY, account, r.name_key(name))
    if stored is None or stored["Arn"] != arn:
        return None
    return stored


def require_policy(uow: UnitOfWork, account: str, arn: str, catalog: r.ManagedPolicyCatalog) -> Record:
    record = find_policy(uow, account, arn, catalog)
    if record is None:
        raise NoSuchEntity.policy(arn)
    return record


def oidc_key(arn: str) -> str:
    """The provider's stored Url from ``arn:aws:iam::<acct>:oidc-provider/<host/path>``."""
    try:
        parsed = Arn.parse(arn)
    except InvalidArn:
        raise InvalidInput(f"ARN {arn} is not valid.") from None
    if parsed.service != "iam" or not parsed.resource.startswith("oidc-provider/"):
        raise InvalidInput(f"ARN {arn} is not valid.")
    return parsed.resource[len("oidc-provider/") :]


def find_oidc_provider(uow: UnitOfWork, account: str, arn: str) -> Record:
    record = uow.get(r.OIDC_PROVIDER, account, oidc_key(arn))
    if record is None or record["Arn"] != arn:
        raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")
    return record
