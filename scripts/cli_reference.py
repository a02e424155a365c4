"""Generate docs/cli.md: the command reference from the commands themselves, then the shared
conventions (``--store``, ``--format``, ``--out``/``--force``) and the exit codes from
:data:`vrkit.errors.EXIT_CODES`.

Usage: ``python scripts/cli_reference.py [OUTPUT]`` (default ``docs/cli.md``);
``make docs`` runs it and ``tests/test_docs.py`` checks the committed file is current.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TITLE = "vrkit command-line reference"

CONVENTIONS = """\
## Conventions shared by every command

- **`--store PATH`** — the warehouse (a DuckDB file; default `VRKIT_STORE` or
  `./vrkit.duckdb`). Every command that reads or writes the warehouse takes it before or after
  the command name: `vrkit --store F ingest PATH` and `vrkit ingest PATH --store F` are the same
  (given twice, the one after the command wins). A path that is not a DuckDB database (an
  existing CSV, Parquet, JSON… file, or a new file with such a suffix), a folder, or a path under
  a file or read-only folder is refused with exit code 5; commands that only read need the file
  to exist.
- **`--format/-f FORMAT`** — one convention everywhere: a comma list, also repeatable
  (`-f html,xlsx` or `-f html -f xlsx`). Each command lists the values it accepts and every one
  of them works; an unknown value is refused with the list (exit code 2). Commands that write one
  output take one value; `table` prints to the terminal, the others print to standard output or
  go to `--out`.
- **`--out PATH`** with **`--force`** — an existing output file is replaced only with `--force`;
  a DuckDB database (the warehouse or any other) and its `.wal` log are never written over, not
  even with `--force`. Folders are created only for report outputs (`report … --out FOLDER`,
  `rank --out FOLDER`, `synth … --out FOLDER`); a file's folder must exist.
- **Areas** — `--area` takes `London` (the Metropolitan Police District: the 32 boroughs; also
  `MPS`, `E61000001`, or the ONS region code `E12000007`) or a borough name, alias or `E09` code,
  in any case. The City of London (`E09000001`) is refused with the reason: it has its own police
  force and is not in MPS data. A misspelt name gets the closest names suggested; so do measures
  and profiles.
- **Output safety** — text from data and file names is printed as plain text: never read as
  markup, with terminal escape sequences and control characters removed.
"""


def exit_codes() -> str:
    """The exit-code table from :data:`vrkit.errors.EXIT_CODES`."""
    from vrkit.errors import EXIT_CODES

    rows = "\n".join(f"| {code} | {text} |" for code, text in EXIT_CODES.items())
    return (
        "## Exit codes\n\nThe same kind of mistake gives the same code in every command.\n\n"
        "| code | meaning |\n|---|---|\n" + rows + "\n"
    )


def generate() -> str:
    """The whole reference as Markdown."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cli.md"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "typer",
                "vrkit.cli",
                "utils",
                "docs",
                "--name",
                "vrkit",
                "--title",
                TITLE,
                "--output",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        text = out.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n**Usage**:")
    return (
        head.rstrip() + "\n\n" + CONVENTIONS + "\n" + exit_codes() + "\n## `vrkit`\n" + sep + rest
    )


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "cli.md"
    target.write_text(generate(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
