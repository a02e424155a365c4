"""The one place where errors become messages and exit codes (see :data:`vrkit.errors.EXIT_CODES`).

Every command body runs inside :func:`user_errors`: a :class:`~vrkit.errors.VrkitError`
prints ``error: …`` and its hint and exits with the error's code; anything else is a bug and
keeps its traceback (exit 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from vrkit.cli.output import error
from vrkit.errors import VrkitError


def report(exc: VrkitError) -> None:
    """Print an error and its hint (without exiting)."""
    error(exc.message, exc.hint)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a VrkitError into its message and exit code."""
    try:
        yield
    except VrkitError as exc:
        report(exc)
        raise typer.Exit(exc.exit_code) from None
