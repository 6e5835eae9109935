"""CloudFormation for IAM and EKS resources: the service, its templates and resource handlers."""

from __future__ import annotations

from eksiam.services.cloudformation.service import CloudFormationService

__all__ = ["CloudFormationService"]
