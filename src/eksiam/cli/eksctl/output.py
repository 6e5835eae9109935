"""What the eksctl-compatible commands print.

Rules: log lines go to stderr with eksctl's markers (``[ℹ]`` info, ``[!]`` warning, ``[✔]`` success),
so stdout holds only results (a table by default, ``-o json`` or ``-o yaml`` for programs). A failure
is one ``Error:`` line saying what went wrong and one line saying what to do, then exit status 1.
Multi-step work shows a Rich progress bar on a terminal and nothing extra otherwise.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

FORMATS = ("table", "json", "yaml")
_err = Console(stderr=True, highlight=False, soft_wrap=True)


class CommandError(Exception):
    """A failure to report: what went wrong, and what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def info(message: str) -> None:
    _err.print(f"[ℹ]  {message}", markup=False)


def warn(message: str) -> None:
    _err.print(f"[!]  {message}", markup=False)


def success(message: str) -> None:
    _err.print(f"[✔]  {message}", markup=False)


def fail(error: CommandError) -> NoReturn:
    _err.print(f"Error: {error.message}", markup=False)
    if error.hint:
        _err.print(f"Hint: {error.hint}", markup=False)
    raise typer.Exit(1)


def check_format(output: str) -> None:
    if output not in FORMATS:
        raise CommandError(f'unknown output format "{output}"', "use -o table, -o json or -o yaml")


def render(output: str, columns: Sequence[str], rows: Sequence[Sequence[str]], objects: Any) -> None:
    """A table of ``rows`` for people, or ``objects`` as JSON/YAML for programs."""
    if output == "json":
        typer.echo(json.dumps(objects, indent=4, default=str))
    elif output == "yaml":
        typer.echo(yaml.safe_dump(json.loads(json.dumps(objects, default=str)), sort_keys=False).rstrip())
    else:
        table = Table(box=None, pad_edge=False, padding=(0, 3, 0, 0), header_style="")
        for column in columns:
            table.add_column(column, no_wrap=True)
        for row in rows:
            table.add_row(*row)
        buffer = io.StringIO()
        Console(file=buffer, highlight=False, width=400, color_system=None).print(table)
        typer.echo("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()))


@contextmanager
def progress(total: int) -> Iterator[Any]:
    """Advance with ``step(description)``; shown only on a terminal, on stderr."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        console=_err,
        transient=True,
        disable=not _err.is_terminal,
    )
    with bar:
        task = bar.add_task("starting", total=total)

        def step(description: str) -> None:
            bar.update(task, description=description)
            bar.advance(task)

        yield step
