"""Where outputs may be written: the one check every writer goes through.

A command's ``--out`` (and every ``write`` of a task result) calls :func:`output_file` for a
file and :func:`output_folder` for a report folder before anything is written:

- an existing file is never replaced unless ``force`` is given (re-running a command must not
  silently destroy a previous output);
- a DuckDB database — the warehouse, or any other — and its write-ahead log are never
  written over, not even with ``force``;
- a missing parent folder of a file is an error (folders are created only where a command
  writes a folder of outputs, a report's ``--out``), so a typo does not scatter files.
"""

from __future__ import annotations

from pathlib import Path

from vrkit.errors import InputError

#: first 16 bytes of a DuckDB database file: 8 bytes of checksum, then the magic "DUCK"
_DUCKDB_MAGIC = b"DUCK"


def is_duckdb_file(path: str | Path) -> bool:
    """True when ``path`` is a DuckDB database file (magic bytes at offset 8)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return len(head) >= 12 and head[8:12] == _DUCKDB_MAGIC


def _is_warehouse_log(path: Path) -> bool:
    return path.name.endswith(".wal") and is_duckdb_file(path.with_name(path.name[: -len(".wal")]))


def output_file(path: str | Path, *, force: bool = False) -> Path:
    """Check that a file may be written at ``path`` and return it.

    Raises
    ------
    InputError
        ``path`` is a folder, a DuckDB database or its log (never overwritten), an existing
        file without ``force``, or its folder does not exist.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"--out {p} is a folder", hint="Give a file name, e.g. out/alerts.json.")
    if is_duckdb_file(p) or _is_warehouse_log(p):
        raise InputError(
            f"--out {p} is a DuckDB database (a warehouse): vrkit never writes over one",
            hint="Give another file name for the output.",
        )
    if p.exists() and not force:
        raise InputError(
            f"--out {p} already exists",
            hint="Pass --force to replace it, or give another file name.",
        )
    if not p.parent.is_dir():
        raise InputError(
            f"the folder {p.parent} of --out {p} does not exist",
            hint="Create it first (vrkit creates folders only for report outputs).",
        )
    return p


def output_folder(
    path: str | Path, names: list[str], *, force: bool = False, create: bool = True
) -> Path:
    """Check (and create) a folder that will receive the files ``names``; return it.

    The folder and its parents are created (unless ``create`` is False: a check before a long
    computation). Files already there with one of ``names`` are replaced only with ``force``.

    Raises
    ------
    InputError
        ``path`` is an existing file, a file to write exists without ``force`` or is a DuckDB
        database, or the folder cannot be created.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(f"--out {p} is a file, not a folder", hint="Give a folder name.")
    for name in names:
        target = p / name
        if target.exists():
            output_file(target, force=force)
    if not create:
        return p
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the folder {p}: {exc.strerror or exc}") from None
    return p
