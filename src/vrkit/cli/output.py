"""Everything the command line prints goes through here: safe text, messages, tables.

Text from data and file names is never read as Rich markup (a ``[/]`` in a file name must
not crash or hide a message) and never reaches the terminal with ANSI escape sequences or
other control characters (a file name must not recolour or rewrite the terminal).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

#: ANSI CSI / OSC sequences and C0/C1 control characters except tab and newline
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|\x1b[@-Z\\-_]?"  # other escapes
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def _console(*, stderr: bool, soft_wrap: bool) -> Console:
    c = Console(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=soft_wrap)
    # Rich fixes the width from COLUMNS when the console is created (here: at import); follow
    # the terminal (COLUMNS/LINES) at each print instead, as a command run in-process expects.
    c._width = c._height = None
    return c


out = _console(stderr=False, soft_wrap=False)
err = _console(stderr=True, soft_wrap=True)


def clean(value: object) -> str:
    """``value`` as text without escape sequences or control characters (tab, newline kept)."""
    return _CONTROL.sub("", str(value))


def say(message: object, style: str | None = None) -> None:
    """Print a line to standard output."""
    out.print(Text(clean(message), style=style or ""))


def note(message: object, style: str | None = None) -> None:
    """Print a line to standard error (progress, notes that are not the result)."""
    err.print(Text(clean(message), style=style or ""))


def warn(message: object) -> None:
    """A warning line (standard output, as part of the result): ``warning: …``."""
    out.print(Text.assemble(("warning: ", "yellow"), clean(message)))


def error(message: object, hint: object | None = None) -> None:
    """An error line and its hint on standard error."""
    err.print(Text.assemble(("error: ", "bold red"), clean(message)))
    if hint:
        err.print(Text.assemble(("hint: ", "yellow"), clean(hint)))


def table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    show_header: bool = True,
    no_wrap: Sequence[str] = (),
    title_justify: Literal["left", "center"] = "center",
) -> Table:
    """A Rich table whose every cell is plain text (no markup, no control characters)."""
    t = Table(title=Text(clean(title)), show_header=show_header, title_justify=title_justify)
    for c in columns:
        t.add_column(Text(clean(c)), no_wrap=c in no_wrap)
    for row in rows:
        add_row(t, *row)
    return t


def add_row(t: Table, *cells: object) -> None:
    """Add a row of plain-text cells to a table made by :func:`table`."""
    t.add_row(*(Text(clean("" if v is None else v)) for v in cells))


def show(t: Table) -> None:
    """Print a table on standard output."""
    out.print(t)


def write_text(text: str) -> None:
    """Write machine-readable output (JSON, CSV, Markdown) to standard output.

    Control characters are removed only when standard output is a terminal; a file or pipe
    receives the text unchanged.
    """
    if sys.stdout.isatty():
        text = "\n".join(clean(line) for line in text.split("\n"))
    sys.stdout.write(text)
    sys.stdout.flush()
