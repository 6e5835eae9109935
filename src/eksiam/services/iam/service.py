"""``IamService``: every IAM operation, one public method each, assembled from operation families.

A family adds itself here with one line in the base list; nothing else changes.
"""

from __future__ import annotations

from eksiam.services.iam.access_keys import AccessKeys
from eksiam.services.iam.account_details import AccountDetails
from eksiam.services.iam.attachments import Attachments
from eksiam.services.iam.groups import Groups
from eksiam.services.iam.inline_policies import InlinePolicies
from eksiam.services.iam.instance_profiles import InstanceProfiles
from eksiam.services.iam.oidc_providers import OidcProviders
from eksiam.services.iam.policies import Policies
from eksiam.services.iam.roles import Roles
from eksiam.services.iam.service_linked_roles import ServiceLinkedRoles
from eksiam.services.iam.simulate import Simulation
from eksiam.services.iam.tags import TagOperations
from eksiam.services.iam.users import Users


class IamService(
    Users,
    AccessKeys,
    Groups,
    Roles,
    Policies,
    Attachments,
    InlinePolicies,
    InstanceProfiles,
    OidcProviders,
    TagOperations,
    AccountDetails,
    ServiceLinkedRoles,
    Simulation,
):
    """IAM over the storage contract; construct with ``(store, clock, settings)``."""
