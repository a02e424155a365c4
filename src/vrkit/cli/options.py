"""Options shared by the commands, so each means the same everywhere.

- ``--store PATH``: the warehouse, accepted before the command (``vrkit --store F ingest``)
  and after it (``vrkit ingest PATH --store F``); after wins. Default ``VRKIT_STORE`` or
  ``./vrkit.duckdb``.
- ``--format/-f``: output formats as a comma list, also repeatable (``-f html,xlsx`` or
  ``-f html -f xlsx``); every value a command lists works, any other is refused (exit 2) with
  the values allowed.
- ``--out PATH`` with ``--force``: an existing output is replaced only with ``--force``; a
  warehouse is never written over.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vrkit.errors import InputError

if TYPE_CHECKING:
    from vrkit.store.warehouse import Warehouse

STORE_HELP = (
    "Warehouse file (default: VRKIT_STORE or ./vrkit.duckdb); also accepted before the command."
)
ROOT_STORE_HELP = (
    "Warehouse file (default: VRKIT_STORE or ./vrkit.duckdb); also accepted after the command."
)

#: ``--store`` of a command (the same option exists before the command)
StoreOpt = Annotated[
    Path | None, typer.Option("--store", help=STORE_HELP, metavar="PATH", show_default=False)
]
#: ``--force``: replace existing output files
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace output files that already exist.")]


def format_option(allowed: tuple[str, ...], default: str, *, many: bool = False) -> object:
    """The ``--format/-f`` option of a command (a comma list, also repeatable)."""
    if many:
        text = f"Any of {', '.join(allowed)}: a comma list or repeated (default: {default})."
    else:
        text = f"One of {', '.join(allowed)} (default: {default})."
    return typer.Option("--format", "-f", help=text, metavar="FORMAT", show_default=False)


FormatValues = list[str] | None


def formats(values: FormatValues, allowed: tuple[str, ...], default: str) -> list[str]:
    """The formats asked for (normalised, checked), or the default."""
    from vrkit.tasks._result import check_formats

    return check_formats(values or [default], allowed)


def one_format(values: FormatValues, allowed: tuple[str, ...], default: str) -> str:
    """The one format a command that writes one output takes."""
    got = formats(values, allowed, default)
    if len(got) > 1:
        raise InputError(
            f"this command writes one format at a time, got {', '.join(got)}",
            hint=f"Give one of {', '.join(allowed)}.",
        )
    return got[0]


#: options given before the command (set by the root callback on every invocation)
ROOT: dict[str, Path | None] = {"store": None}


def store_path(store: Path | None) -> Path:
    """The warehouse path: the command's ``--store``, else the one before the command, else
    the ``VRKIT_STORE`` setting."""
    from vrkit.config import get_settings

    if store is not None:
        return store
    root = ROOT["store"]
    return root if root is not None else get_settings().store


def open_warehouse(store: Path | None, *, read_only: bool = False) -> Warehouse:
    """Open the warehouse a command uses (the checks are the store's own)."""
    from vrkit.store.warehouse import Warehouse

    return Warehouse(store_path(store), read_only=read_only)
