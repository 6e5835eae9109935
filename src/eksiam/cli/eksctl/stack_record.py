"""What a stack is to the commands: its name, tags and outputs, whichever backend keeps it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from eksiam.cli.eksctl.templates import CLUSTER_NAME_TAG, StackSpec


class StackError(Exception):
    """A stack operation that failed; the message says which stack and why."""


@dataclass(frozen=True, slots=True)
class Stack:
    name: str
    tags: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)
    status: str = "CREATE_COMPLETE"
    capabilities: tuple[str, ...] = ()


class Stacks(Protocol):
    kind: str

    def create(self, spec: StackSpec) -> Stack: ...

    def update(self, spec: StackSpec) -> Stack: ...

    def find(self, tag_key: str, cluster: str) -> list[Stack]: ...

    def delete(self, stack: Stack, wait: bool = False) -> None: ...


def tag_map(pairs: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in pairs or []}


def of_cluster(tags: Mapping[str, str], cluster: str) -> bool:
    return tags.get(CLUSTER_NAME_TAG) == cluster
