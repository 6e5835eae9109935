"""``StsService``: every STS operation eksiam serves, one public method each, assembled from families.

Operations not listed (AssumeRoleWithSAML, AssumeRoot, GetFederationToken, GetDelegatedAccessToken,
GetWebIdentityToken) are answered by the dispatcher as not implemented.
"""

from __future__ import annotations

from eksiam.services.sts.assume_role import AssumeRoleOperations
from eksiam.services.sts.authorization_messages import AuthorizationMessageOperations
from eksiam.services.sts.caller_identity import CallerIdentityOperations
from eksiam.services.sts.web_identity import WebIdentityOperations


class StsService(
    AssumeRoleOperations,
    WebIdentityOperations,
    CallerIdentityOperations,
    AuthorizationMessageOperations,
):
    """STS over the storage contract; construct with ``(store, clock, settings)``, plus the shared
    ``authorizer`` (services/authorize.py; one is made when none is given) and a ``JwksSource``
    for external issuers."""
