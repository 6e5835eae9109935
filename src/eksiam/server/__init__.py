"""The ASGI server: one port for the AWS endpoint, OIDC issuers and cluster APIs."""

from eksiam.server.app import EksiamApp, build_app
from eksiam.server.lifespan import Runtime
from eksiam.server.mounts import MOUNTS, MountPoint

__all__ = ["MOUNTS", "EksiamApp", "MountPoint", "Runtime", "build_app"]
