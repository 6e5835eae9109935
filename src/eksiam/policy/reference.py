"""A straightforward interpreter over the AST: the oracle the compiled form is checked against.

Nothing here is cached or indexed, and wildcard matching is an independent backtracking matcher
rather than the regexes of wildcards.py, so property tests comparing this module with compiled.py
exercise two implementations of the same rules (the rules are stated in wildcards.py, variables.py
and operators/__init__.py). Operators and principal matching are shared: they have their own tests.
"""

from __future__ import annotations

from collections.abc import Iterator

from eksiam.policy.context import RequestContext
from eksiam.policy.document import PolicyDocument, Statement
from eksiam.policy.operators import clause_holds, lookup_operator, prepare_values
from eksiam.policy.principals import Grant, statement_grant
from eksiam.policy.variables import parse_template
from eksiam.policy.wildcards import LITERAL_QMARK, LITERAL_STAR


def glob_match(pattern: str, text: str, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, text = pattern.lower(), text.lower()
    return _glob(pattern, 0, text, 0, arn=False)


def arn_match(pattern: str, text: str) -> bool:
    return _glob(pattern, 0, text, 0, arn=True)


def _glob(pattern: str, p: int, text: str, t: int, *, arn: bool) -> bool:
    while p < len(pattern):
        ch = pattern[p]
        if ch == "*":
            colons = pattern.count(":", 0, p)
            bounded = arn and colons < 5 and p + 1 < len(pattern) and pattern[p + 1] != ":"
            end = len(text)
            if bounded:
                stop = text.find(":", t)
                end = stop if stop >= 0 else len(text)
            return any(_glob(pattern, p + 1, text, k, arn=arn) for k in range(t, end + 1))
        if t >= len(text):
            return False
        if ch == "?":
            if arn and pattern.count(":", 0, p) < 5 and text[t] == ":":
                return False
        else:
            literal = "*" if ch == LITERAL_STAR else "?" if ch == LITERAL_QMARK else ch
            if literal != text[t]:
                return False
        p += 1
        t += 1
    return t == len(text)


def _action_matches(statement: Statement, action: str) -> bool:
    if statement.actions is not None:
        return any(glob_match(pattern, action, ignore_case=True) for pattern in statement.actions)
    if statement.not_actions is not None:
        return not any(glob_match(pattern, action, ignore_case=True) for pattern in statement.not_actions)
    return False


def _resource_matches(statement: Statement, context: RequestContext, substitute: bool) -> bool:
    listed = statement.resources if statement.resources is not None else statement.not_resources
    if listed is None:
        return True
    texts = [parse_template(r, substitute).substitute(context.values.get) for r in listed]
    hit = any(text is not None and arn_match(text, context.resource) for text in texts)
    if statement.resources is not None:
        return hit
    return not hit and all(text is not None for text in texts)


def _conditions_hold(statement: Statement, context: RequestContext, substitute: bool) -> bool:
    for clause in statement.conditions:
        spec = lookup_operator(clause.operator)
        if spec is None:
            return False
        texts = [parse_template(v, substitute).substitute(context.values.get) for v in clause.values]
        resolved = [text for text in texts if text is not None]
        if not clause.values:
            return False
        if not clause_holds(spec, prepare_values(spec, resolved), context.values.get(clause.key.lower())):
            return False
    return True


def matching(document: PolicyDocument, context: RequestContext) -> Iterator[tuple[Statement, Grant]]:
    """The statements that apply to the request, each with how its principal names the caller."""
    substitute = document.substitutes_variables
    for statement in document.statements:
        if not _action_matches(statement, context.action):
            continue
        if not _resource_matches(statement, context, substitute):
            continue
        grant = statement_grant(statement, context.principal, context.bounded)
        if grant is Grant.NONE or not _conditions_hold(statement, context, substitute):
            continue
        yield statement, grant
