"""IAM: users, groups, roles, policies, instance profiles, OIDC providers, as AWS defines them."""

from __future__ import annotations

from eksiam.services.iam.access_keys import note_access_key_used
from eksiam.services.iam.records import ManagedPolicyCatalog
from eksiam.services.iam.roles import note_role_used
from eksiam.services.iam.service import IamService

__all__ = ["IamService", "ManagedPolicyCatalog", "note_access_key_used", "note_role_used"]
