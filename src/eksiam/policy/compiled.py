"""The indexed form a parsed policy is evaluated through: parse once, evaluate many.

Theory of operation:

* Every statement is compiled into three tests: resource (globs compiled once; templates with
  variables substituted per request), principal (resource-based kinds only) and condition (each
  clause's operator looked up and its static values prepared once).
* Statements are bucketed by the vendor prefix their Action patterns can reach (``s3:Get*`` -> ``s3``;
  ``*``, ``s3*:x`` and NotAction statements go to every bucket), and the statements whose Action
  element matches a given action are memoised per policy. After the first request for an action,
  finding the candidate statements is one dict lookup.
* reference.py decides the same question straight from the AST with none of this; property tests
  check that both agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from eksiam.policy.context import RequestContext
from eksiam.policy.document import ConditionClause, Effect, PolicyDocument, Statement
from eksiam.policy.operators import OperatorSpec, clause_holds, key_test, lookup_operator, prepare_values
from eksiam.policy.principals import IAM_KINDS, Grant, PrincipalInfo, statement_grant
from eksiam.policy.variables import Template, parse_template
from eksiam.policy.wildcards import action_matcher, arn_matcher

ContextTest = Callable[[RequestContext], bool]
ValuesTest = Callable[[Mapping[str, "str | Sequence[str]"]], bool]  # on the request's condition keys
PrincipalTest = Callable[[PrincipalInfo, bool], Grant]  # (the caller, has a boundary) -> its grade
_ACTION_CACHE_LIMIT = 4096
_NONE, _DIRECT = Grant.NONE, Grant.DIRECT  # bound once: Enum attribute access is slow on the hot path


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    statement: Statement
    deny: bool
    principal_test: PrincipalTest | None  # None: no Principal or NotPrincipal (identity-based kinds)
    resource_test: ContextTest | None  # None: no Resource element (trust policies)
    condition_test: ValuesTest | None  # None: no Condition

    def applies(self, context: RequestContext) -> Grant:
        """The grant when the statement applies to the request (action already matched), else NONE."""
        if self.resource_test is not None and not self.resource_test(context):
            return _NONE
        grant = _DIRECT
        if self.principal_test is not None:
            grant = self.principal_test(context.principal, context.bounded)
            if not grant:
                return grant
        if self.condition_test is not None and not self.condition_test(context.values):
            return _NONE
        return grant


def _principal_test(statement: Statement) -> PrincipalTest | None:
    """How a statement names the caller. A Principal that lists only identity providers and
    canonical users, exact texts that no IAM principal is (principals.py ``entry_grant``), is one
    set lookup: a role trust policy for web identity is this shape. Others take the general rules."""
    block = statement.principal
    if block is None and statement.not_principal is None:
        return None
    if block is not None and not block.wildcard and all(kind in _EXACT for kind, _ in block.entries):
        listed = frozenset(entry for _, entry in block.entries)
        return lambda info, bounded: _DIRECT if info.text in listed and info.kind not in IAM_KINDS else _NONE
    return lambda info, bounded: statement_grant(statement, info, bounded)


_EXACT = frozenset({"Federated", "CanonicalUser"})


def _action_test(statement: Statement) -> Callable[[str], bool]:
    if statement.actions is not None:
        matchers = tuple(action_matcher(pattern) for pattern in statement.actions)
        return lambda action: any(m(action) for m in matchers)
    if statement.not_actions is not None:
        not_matchers = tuple(action_matcher(pattern) for pattern in statement.not_actions)
        return lambda action: not any(m(action) for m in not_matchers)
    return lambda _action: False


def _resource_patterns_test(templates: tuple[Template, ...]) -> Callable[[RequestContext], bool]:
    static = tuple(template.static_text for template in templates if template.is_static)
    if "*" in static:
        return lambda _context: True
    matchers = tuple(arn_matcher(text) for text in static)
    dynamic = tuple(template for template in templates if not template.is_static)
    if not dynamic:
        if len(matchers) == 1:
            only = matchers[0]
            return lambda context: bool(only(context.resource))

        def any_static(context: RequestContext) -> bool:
            resource = context.resource
            for matcher in matchers:  # noqa: SIM110 - a loop, not a generator per call (hot path)
                if matcher(resource):
                    return True
            return False

        return any_static

    def with_variables(context: RequestContext) -> bool:
        resource = context.resource
        if any(m(resource) for m in matchers):
            return True
        lookup = context.values.get
        for template in dynamic:
            text = template.substitute(lookup)
            if text is not None and arn_matcher(text)(resource):
                return True
        return False

    return with_variables


def _resource_test(statement: Statement, substitute: bool) -> ContextTest | None:
    if statement.resources is not None:
        return _resource_patterns_test(tuple(parse_template(r, substitute) for r in statement.resources))
    if statement.not_resources is not None:
        templates = tuple(parse_template(r, substitute) for r in statement.not_resources)
        listed = _resource_patterns_test(templates)
        if any(not template.is_static for template in templates):

            def unresolved(context: RequestContext) -> bool:
                lookup = context.values.get
                return any(template.substitute(lookup) is None for template in templates)

            return lambda context: not unresolved(context) and not listed(context)
        return lambda context: not listed(context)
    return None


def clause_test(clause: ConditionClause, substitute: bool) -> ValuesTest:
    """A clause reads only the request's condition keys (policy variables included), so its test
    takes them directly: one call per clause on the hot path."""
    spec = lookup_operator(clause.operator)
    if spec is None:  # validation refuses unknown operators; an unparsed document cannot get here
        return lambda _values: False
    key = clause.key.lower()
    templates = tuple(parse_template(value, substitute) for value in clause.values)
    if not templates:  # an empty value list names nothing to compare with, so it never holds
        return lambda _values: False
    if all(template.is_static for template in templates):
        prepared = prepare_values(spec, [template.static_text for template in templates])
        return key_test(spec, prepared, key)
    return _dynamic_clause(spec, key, templates)


def _dynamic_clause(spec: OperatorSpec, key: str, templates: tuple[Template, ...]) -> ValuesTest:
    def test(values: Mapping[str, str | Sequence[str]]) -> bool:
        lookup = values.get
        texts = [text for text in (t.substitute(lookup) for t in templates) if text is not None]
        return clause_holds(spec, prepare_values(spec, texts), lookup(key))

    return test


def _condition_test(statement: Statement, substitute: bool) -> ValuesTest | None:
    tests = tuple(clause_test(clause, substitute) for clause in statement.conditions)
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]

    def every(values: Mapping[str, str | Sequence[str]]) -> bool:
        for test in tests:  # noqa: SIM110 - a loop, not a generator per call (hot path)
            if not test(values):
                return False
        return True

    return every


def _prefixes(statement: Statement) -> tuple[str, ...] | None:
    """Vendor prefixes the statement's actions can reach; None when it may reach any."""
    if statement.actions is None:
        return None
    prefixes: list[str] = []
    for pattern in statement.actions:
        vendor, colon, _ = pattern.partition(":")
        if not colon or "*" in vendor or "?" in vendor:
            return None
        prefixes.append(vendor.lower())
    return tuple(prefixes)


class CompiledPolicy:
    """A policy's statements compiled and indexed; the per-action memo is its only mutable state."""

    __slots__ = ("statements", "_by_prefix", "_anywhere", "_action_tests", "_by_action")

    def __init__(self, document: PolicyDocument) -> None:
        substitute = document.substitutes_variables
        self.statements = tuple(
            CompiledStatement(
                statement=statement,
                deny=statement.effect is Effect.DENY,
                principal_test=_principal_test(statement),
                resource_test=_resource_test(statement, substitute),
                condition_test=_condition_test(statement, substitute),
            )
            for statement in document.statements
        )
        self._action_tests = tuple(_action_test(s.statement) for s in self.statements)
        by_prefix: dict[str, list[int]] = {}
        anywhere: list[int] = []
        for position, compiled in enumerate(self.statements):
            prefixes = _prefixes(compiled.statement)
            if prefixes is None:
                anywhere.append(position)
            else:
                for prefix in prefixes:
                    by_prefix.setdefault(prefix, []).append(position)
        self._by_prefix = {prefix: tuple(sorted({*found, *anywhere})) for prefix, found in by_prefix.items()}
        self._anywhere = tuple(anywhere)
        self._by_action: dict[str, tuple[CompiledStatement, ...]] = {}

    def candidates(self, action: str, service: str) -> tuple[CompiledStatement, ...]:
        """Statements whose Action/NotAction matches ``action`` (lower-cased), memoised."""
        found = self._by_action.get(action)
        if found is None:
            positions = self._by_prefix.get(service, self._anywhere)
            found = tuple(self.statements[p] for p in positions if self._action_tests[p](action))
            if len(self._by_action) >= _ACTION_CACHE_LIMIT:
                self._by_action.clear()
            self._by_action[action] = found
        return found
