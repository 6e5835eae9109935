"""``CloudFormationService``: stacks, change sets and template validation for IAM and EKS
resources, assembled from operation families (one line each)."""

from __future__ import annotations

from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.services.cloudformation.change_sets import ChangeSets
from eksiam.services.cloudformation.resources import handlers
from eksiam.services.cloudformation.templates import Templates
from eksiam.services.eks import EksService
from eksiam.services.iam import IamService
from eksiam.storage import Store


class CloudFormationService(ChangeSets, Templates):
    def __init__(
        self, store: Store, clock: Clock, settings: Settings, iam: IamService, eks: EksService
    ) -> None:
        super().__init__(store, clock, settings, handlers(iam, eks))
