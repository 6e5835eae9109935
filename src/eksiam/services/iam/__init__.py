"""IAM: users, groups, roles, policies, instance profiles, OIDC providers, as AWS defines them."""

from __future__ import annotations

from eksiam.services.iam.records import ManagedPolicyCatalog
from eksiam.services.iam.service import IamService

__all__ = ["IamService", "ManagedPolicyCatalog"]
