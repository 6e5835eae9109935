"""All policies of one request merged into a single action index.

A PolicySet holds up to a few dozen policies (SCP levels, RCP levels, the resource policy, identity
policies, the boundary, session policies). Walking each policy per request costs more than the
statements that actually match, so a set is planned once: every statement is tagged with its slot
(which policy type and, for SCPs and RCPs, which organization level) and the statements whose Action
matches a given action are memoised across the whole set. A request then touches only the statements
that can apply to its action.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from eksiam.policy.compiled import CompiledStatement
from eksiam.policy.decision import MatchedStatement
from eksiam.policy.document import Statement
from eksiam.policy.parsed import Policy

_CACHE_LIMIT = 4096


class Slot(IntEnum):
    IDENTITY = 0
    BOUNDARY = 1
    SESSION = 2
    RESOURCE = 3
    SCP = 4
    RCP = 5


Entry = tuple[Slot, int, MatchedStatement, CompiledStatement]


def slotted(
    identity: Sequence[Policy],
    boundary: Policy | None,
    session: Sequence[Policy],
    resource: Policy | None,
    scps: Sequence[Sequence[Policy]],
    rcps: Sequence[Sequence[Policy]],
) -> list[tuple[Slot, int, Policy]]:
    """Every policy of a set with its slot and organization level (0 outside SCPs/RCPs)."""
    placed: list[tuple[Slot, int, Policy]] = []
    placed.extend((Slot.SCP, level, policy) for level, group in enumerate(scps) for policy in group)
    placed.extend((Slot.RCP, level, policy) for level, group in enumerate(rcps) for policy in group)
    placed.extend((Slot.RESOURCE, 0, policy) for policy in (resource,) if policy is not None)
    placed.extend((Slot.IDENTITY, 0, policy) for policy in identity)
    placed.extend((Slot.BOUNDARY, 0, policy) for policy in (boundary,) if policy is not None)
    placed.extend((Slot.SESSION, 0, policy) for policy in session)
    return placed


def matched_statement(policy: Policy, statement: Statement) -> MatchedStatement:
    return MatchedStatement(
        policy.policy_id, policy.kind, statement.sid, statement.index, statement.effect.value
    )


class SetPlan:
    __slots__ = ("placed", "_by_action", "_keys")

    def __init__(self, placed: list[tuple[Slot, int, Policy]]) -> None:
        self.placed = placed
        self._by_action: dict[str, tuple[Entry, ...]] = {}
        self._keys: dict[str, tuple[tuple[str, str], ...]] = {}

    def candidates(self, action: str, service: str) -> tuple[Entry, ...]:
        found = self._by_action.get(action)
        if found is None:
            found = tuple(
                (slot, level, matched_statement(policy, compiled.statement), compiled)
                for slot, level, policy in self.placed
                for compiled in policy.compiled.candidates(action, service)
            )
            if len(self._by_action) >= _CACHE_LIMIT:
                self._by_action.clear()
            self._by_action[action] = found
        return found

    def condition_keys(self, action: str, service: str) -> tuple[tuple[str, str], ...]:
        """Condition keys (as written, lower-cased) tested by Allow statements for ``action``."""
        found = self._keys.get(action)
        if found is None:
            keys: dict[str, str] = {}
            for _, _, _, compiled in self.candidates(action, service):
                if not compiled.deny:
                    keys.update((clause.key, clause.key.lower()) for clause in compiled.statement.conditions)
            found = tuple(keys.items())
            if len(self._keys) >= _CACHE_LIMIT:
                self._keys.clear()
            self._keys[action] = found
        return found
