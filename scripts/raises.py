"""List the ``raise`` statements a coverage run never executed (issue #21; docs/testing.md).

Reads a coverage data file written by ``pytest --cov`` (``make test`` or a narrower run), walks
the syntax tree of every module under the given packages and prints, per package, how many
``raise`` statements ran and a Markdown list of those that did not (file:line, the exception
and the start of its message), for docs/testing.md to classify as tested or unreachable.

    .venv/bin/python scripts/raises.py [--data .coverage] src/vrkit/sources src/vrkit/store …
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import coverage


def _raises(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            text = ast.unparse(node.exc) if node.exc is not None else "(re-raise)"
            out.append((node.lineno, " ".join(text.split())[:90]))
    return sorted(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=".coverage", help="coverage data file")
    ap.add_argument("packages", nargs="+", type=Path)
    args = ap.parse_args()
    cov = coverage.Coverage(data_file=str(args.data))
    cov.load()
    measured = {Path(f).resolve() for f in cov.get_data().measured_files()}
    total = run = 0
    for pkg in args.packages:
        rows = []
        p_total = p_run = 0
        for path in sorted(pkg.rglob("*.py")):
            found = _raises(path)
            if not found:
                continue
            missing: set[int] = set()
            excluded: set[int] = set()
            if path.resolve() in measured:
                _, _, ex, miss, _ = cov.analysis2(str(path.resolve()))
                missing, excluded = set(miss), set(ex)
            else:
                missing = {line for line, _ in found}  # never imported
            for line, text in found:
                p_total += 1
                if line in missing or line in excluded:
                    note = " (excluded from coverage: pragma)" if line in excluded else ""
                    rows.append(f"- `{path.as_posix()}:{line}` `raise {text}`{note}")
                else:
                    p_run += 1
        total += p_total
        run += p_run
        print(f"## {pkg.as_posix()}: {p_run} of {p_total} raise statements run\n")
        print("\n".join(rows) + ("\n" if rows else ""))
    print(f"total: {run} of {total} raise statements run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
