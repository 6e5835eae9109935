"""Compile botocore shapes into plain closures, once, by dispatching on the shape's type.

The LocalStack-style walk (``getattr(self, f"_compile_{shape.type_name}")``) runs at start-up only;
what it returns is a closure tree the request path calls directly, so no per-request object, lookup
or ``isinstance`` on shapes remains. Rules:

1. A compiled function depends only on the shape and its serialization traits, so results are
   cached per (shape name, traits); each protocol subclass keeps its own cache.
2. Recursive shapes compile to a trampoline that looks the finished function up at call time.
3. Types a subclass does not handle fall back to ``_compile_scalar``.
4. A structure's function may be generated as straight-line source (``generated``), one block per
   member: a loop over a member table costs a dozen bytecodes per member on every request, and the
   interpreter's dispatch, not the work, is most of a request's time. Only names of the model
   (as ``repr`` literals), numbers and names bound in the given namespace reach the source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from botocore.model import Shape

F = TypeVar("F", bound=Callable[..., Any])


def bind(namespace: dict[str, Any], value: object) -> str:
    """A new name for ``value`` in ``namespace``, for generated source to refer to it by."""
    name = f"_bound{len(namespace)}"
    namespace[name] = value
    return name


def generated(name: str, lines: list[str], namespace: dict[str, Any]) -> Any:
    """The function ``name`` defined by ``lines`` of Python source, with ``namespace`` as its globals."""
    exec("\n".join(lines), namespace)  # noqa: S102 - source built from the model (rule 4)
    return namespace[name]


class ShapeCompiler(Generic[F]):
    def __init__(self) -> None:
        self._done: dict[tuple[str, str], F] = {}
        self._pending: set[tuple[str, str]] = set()

    def compile(self, shape: Shape) -> F:
        key = (shape.name, repr(sorted(shape.serialization.items())))
        found = self._done.get(key)
        if found is not None:
            return found
        if key in self._pending:
            done = self._done

            def trampoline(*args: Any) -> Any:
                return done[key](*args)

            return trampoline  # type: ignore[return-value]
        self._pending.add(key)
        try:
            method = getattr(self, f"_compile_{shape.type_name}", None) or self._compile_scalar
            compiled: F = method(shape)
        finally:
            self._pending.discard(key)
        self._done[key] = compiled
        return compiled

    def _compile_scalar(self, shape: Shape) -> F:
        raise NotImplementedError(f"{type(self).__name__} cannot compile {shape.type_name} shapes")
