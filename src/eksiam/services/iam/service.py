"""``IamService``: every IAM operation, one public method each, assembled from operation families.

A family adds itself here with one line in the base list; nothing else changes.
"""

from __future__ import annotations

from eksiam.services.iam.base import IamBase


class IamService(
    IamBase,
):
    """IAM over the storage contract; construct with ``(store, clock, settings)``."""
