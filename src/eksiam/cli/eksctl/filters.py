"""``--include`` / ``--exclude`` over ``<namespace>/<name>`` (eksctl ``pkg/ctl/cmdutils/filter``).

Globs are gobwas/glob without separators, so ``*`` also matches ``/`` (``*/dynamo-*``); ``{a,b}``
alternatives are supported as there. Explicit excludes win; with include rules a name is in only
when an include matches; with only exclude rules everything not excluded is in. Include globs that
match nothing are an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from eksiam.cli.eksctl.output import CommandError


def _expand(glob: str) -> list[str]:
    match = re.search(r"\{([^{}]*)\}", glob)
    if match is None:
        return [glob]
    head, tail = glob[: match.start()], glob[match.end() :]
    return [variant for option in match.group(1).split(",") for variant in _expand(head + option + tail)]


def _matches(name: str, globs: Sequence[str]) -> bool:
    return any(fnmatchcase(name, pattern) for glob in globs for pattern in _expand(glob))


def split_globs(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class NameFilter:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def allows(self, name: str) -> bool:
        if _matches(name, self.exclude):
            return False
        return not self.include or _matches(name, self.include)

    def select(self, names: Sequence[str], kind: str = "iamserviceaccounts") -> list[str]:
        if self.include and not any(_matches(name, self.include) for name in names):
            raise CommandError(
                f'no {kind} match include glob filter specification: "{",".join(self.include)}"',
                "check the globs against the <namespace>/<name> entries of the config file",
            )
        return [name for name in names if self.allows(name)]
