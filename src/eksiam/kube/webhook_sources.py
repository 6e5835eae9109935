"""Where the standalone pod identity webhook learns what a pod's service account carries.

Upstream (amazon-eks-pod-identity-webhook ``pkg/cache/cache.go``) keeps an informer cache of service
accounts and skips the mutation when a pod arrives before its service account reached the cache
(webhook issues #174/#194: "pod created right after its SA gets no credentials"). Here:

Rule 1. Service accounts, the ``pod-identity-webhook`` ConfigMap and EKS Pod Identity associations
        are read from the API and kept for ``ttl`` seconds, so a burst of pods costs one read.
Rule 2. A "no" is never taken from the cache: when the cached answer would leave the pod alone
        (SA missing, no role, no association), every source is read again directly before
        answering. A cache can make us mutate with a role that changed seconds ago (as upstream's
        informer can), never skip a pod that should get credentials.
Rule 3. Pod Identity associations come from the association file the EKS control plane writes
        (``--watch-container-credentials-config``, re-read when its mtime changes) and, for eksiam
        clusters or real EKS, from ``ListPodIdentityAssociations`` when a cluster name is given.
Rule 4. A read that fails (other than 404) raises ``LookupFailed``: the caller lets the pod through
        unmutated and says why, as ``failurePolicy: Ignore`` would.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from eksiam.kube.webhook import ConfigMapEntry, Identity

log = logging.getLogger("eksiam.kube.webhook")

CONFIG_MAP_NAME = "pod-identity-webhook"
CONFIG_MAP_KEY = "config"
DEFAULT_TTL = 10.0

T = TypeVar("T")
Monotonic = Callable[[], float]


class LookupFailed(Exception):
    """The API could not be read; the message is safe to show (no credentials in it)."""


class _Expiring(Generic[T]):
    """Values kept for ``ttl`` seconds; ``fresh=True`` always reloads."""

    def __init__(self, ttl: float, monotonic: Monotonic) -> None:
        self.ttl, self.monotonic = ttl, monotonic
        self._values: dict[Any, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, load: Callable[[], T], *, fresh: bool) -> T:
        now = self.monotonic()
        with self._lock:
            found = self._values.get(key)
        if found is not None and not fresh and now - found[0] < self.ttl:
            return found[1]
        value = load()
        with self._lock:
            self._values[key] = (now, value)
        return value


def parse_config_map(text: str | None) -> dict[str, ConfigMapEntry]:
    """The ConfigMap's ``config`` JSON (``{"ns/name": {"RoleARN": ..}}``); unreadable means empty."""
    if not text:
        return {}
    try:
        document = json.loads(text)
    except ValueError as err:
        log.warning("ConfigMap %s: key %s is not JSON (%s); ignored", CONFIG_MAP_NAME, CONFIG_MAP_KEY, err)
        return {}
    entries: dict[str, ConfigMapEntry] = {}
    for key, value in (document if isinstance(document, dict) else {}).items():
        if not isinstance(value, dict) or not isinstance(value.get("RoleARN"), str):
            continue
        expiration = value.get("TokenExpiration")
        entries[key] = ConfigMapEntry(
            role_arn=value["RoleARN"],
            audience=str(value.get("Audience") or ""),
            use_regional_sts=value.get("UseRegionalSTS") is True,
            token_expiration=expiration if isinstance(expiration, int) else 0,
        )
    return entries


def config_map_entry(entries: dict[str, ConfigMapEntry], namespace: str, name: str) -> ConfigMapEntry | None:
    """Exact ``ns/name`` first, then the literal ``*/name`` (upstream has no other globs)."""
    return entries.get(f"{namespace}/{name}") or entries.get(f"*/{name}")


class AssociationFile:
    """The Pod Identity association file, ``{"identities":[{"namespace","serviceAccount"}]}``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[float, int] | None = None
        self._pairs: frozenset[tuple[str, str]] = frozenset()
        self._lock = threading.Lock()

    def pairs(self) -> frozenset[tuple[str, str]]:
        try:
            stat = self.path.stat()
        except OSError:
            return frozenset()
        with self._lock:
            if self._seen != (stat.st_mtime, stat.st_size):
                self._pairs = self._read()
                self._seen = (stat.st_mtime, stat.st_size)
            return self._pairs

    def _read(self) -> frozenset[tuple[str, str]]:
        text = self.path.read_text(errors="replace").strip()
        if not text:
            return frozenset()
        try:
            identities = json.loads(text).get("identities") or []
        except (ValueError, AttributeError) as err:
            log.warning("association file %s is not valid JSON (%s); keeping none", self.path, err)
            return frozenset()
        return frozenset(
            (str(item.get("namespace")), str(item.get("serviceAccount")))
            for item in identities
            if isinstance(item, dict)
        )


@dataclass(frozen=True, slots=True)
class ClusterReads:
    """The reads the webhook makes, as callables so they can come from any client.

    ``service_account(ns, name)`` -> annotations, or None when it does not exist;
    ``config_map(ns, name)`` -> the ConfigMap's data, or None; ``associated(ns, sa)`` -> whether an
    EKS Pod Identity association exists (None when no EKS cluster is configured).
    """

    service_account: Callable[[str, str], dict[str, str] | None]
    config_map: Callable[[str, str], dict[str, str] | None]
    associated: Callable[[str, str], bool] | None = None


class IdentitySource:
    """``identity(namespace, service_account)`` for ``admission.review``, per the rules above."""

    def __init__(
        self,
        reads: ClusterReads,
        *,
        annotation_prefix: str = "eks.amazonaws.com",
        watch_config_map: bool = False,
        config_map_namespace: str = "default",
        association_file: AssociationFile | None = None,
        ttl: float = DEFAULT_TTL,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.reads = reads
        self.role_key = f"{annotation_prefix}/role-arn"
        self.prefix = f"{annotation_prefix}/"
        self.watch_config_map = watch_config_map
        self.config_map_namespace = config_map_namespace
        self.association_file = association_file
        self._accounts: _Expiring[dict[str, str] | None] = _Expiring(ttl, monotonic)
        self._config: _Expiring[dict[str, ConfigMapEntry]] = _Expiring(ttl, monotonic)
        self._associations: _Expiring[bool] = _Expiring(ttl, monotonic)

    def identity(self, namespace: str, name: str) -> Identity:
        cached = self._identity(namespace, name, fresh=False)
        if self._mutates(cached):
            return cached
        return self._identity(namespace, name, fresh=True)

    def _mutates(self, identity: Identity) -> bool:
        if identity.pod_identity:
            return True
        has_role = bool((identity.annotations or {}).get(self.role_key))
        return identity.service_account_found and (has_role or identity.config_map is not None)

    def _identity(self, namespace: str, name: str, *, fresh: bool) -> Identity:
        annotations = self._accounts.get(
            (namespace, name), lambda: self._read_account(namespace, name), fresh=fresh
        )
        entry = None
        if self.watch_config_map:
            entries = self._config.get(None, self._read_config_map, fresh=fresh)
            entry = config_map_entry(entries, namespace, name)
        return Identity(
            service_account_found=annotations is not None,
            annotations=annotations or {},
            config_map=entry,
            pod_identity=self._pod_identity(namespace, name, fresh=fresh),
        )

    def _pod_identity(self, namespace: str, name: str, *, fresh: bool) -> bool:
        if self.association_file is not None and (namespace, name) in self.association_file.pairs():
            return True
        associated = self.reads.associated
        if associated is None:
            return False
        return self._associations.get((namespace, name), lambda: associated(namespace, name), fresh=fresh)

    def _read_account(self, namespace: str, name: str) -> dict[str, str] | None:
        annotations = self.reads.service_account(namespace, name)
        if annotations is None:
            return None
        # Only the prefix's annotations matter (upstream keeps only those in its cache).
        return {k: v for k, v in annotations.items() if k.startswith(self.prefix)}

    def _read_config_map(self) -> dict[str, ConfigMapEntry]:
        data = self.reads.config_map(self.config_map_namespace, CONFIG_MAP_NAME)
        return parse_config_map((data or {}).get(CONFIG_MAP_KEY))
