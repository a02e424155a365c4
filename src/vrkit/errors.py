"""Errors an analyst can act on, and the exit code each kind gives on the command line.

Every message states the rule, what was received, where (file, row, column) and a hint.
Each class carries its ``exit_code``; :mod:`vrkit.cli.errors` turns any error into a message
and that code in one place, and ``docs/cli.md`` lists :data:`EXIT_CODES`.
"""

from __future__ import annotations

from pathlib import Path


class VrkitError(Exception):
    """Base class for errors caused by input or environment, not by a bug."""

    exit_code = 1
    #: how to name the file this error is about when it must not be named by its path (a health
    #: submission whose name may identify a person); ``None`` for ordinary files
    file_label: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return self.message + (f"\nHint: {self.hint}" if self.hint else "")


class InputError(VrkitError):
    """A command-line or function argument is invalid (unknown area, bad year, ...)."""

    exit_code = 2


class SourceError(VrkitError):
    """A file cannot be recognised or read at all (unknown format, not CSV, empty, truncated)."""

    exit_code = 3

    def __init__(self, path: str | Path, message: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}", hint=hint)


class DataValidationError(VrkitError):
    """A value in a file breaks a rule. For aggregate files this refuses the whole file."""

    exit_code = 4

    def __init__(
        self,
        path: str | Path,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path)
        self.row = row
        self.column = column
        self.reason = reason
        self.value = value
        where = self.path
        if row is not None:
            where += f", line {row}"
        if column is not None:
            where += f", column {column!r}"
        got = f" (got {value!r})" if value is not None else ""
        super().__init__(f"{where}: {reason}{got}", hint=hint)


class StorageError(VrkitError):
    """The warehouse cannot be opened or written (locked, corrupt, wrong schema version)."""

    exit_code = 5


#: exit code → what it means, as documented in ``docs/cli.md`` (the same kind of mistake gives
#: the same code in every command)
EXIT_CODES: dict[int, str] = {
    0: "Success.",
    1: "Any other error, including an unexpected failure: a bug in vrkit (please report it "
    "with the output of `vrkit version --all`).",
    InputError.exit_code: "Invalid input: an unknown or malformed option value (area, measure, "
    "profile, format, year, month...), a missing required option, data not loaded for what "
    "was asked, or an output file that exists (use --force) or may not be written.",
    SourceError.exit_code: "A file cannot be read or recognised (unknown format, not a CSV, "
    "empty, truncated).",
    DataValidationError.exit_code: "A data problem: a value in a file breaks a rule (the file "
    "is refused whole or the row rejected), or some files of an ingest were refused (the "
    "others are loaded).",
    StorageError.exit_code: "The warehouse cannot be opened or written (missing, locked, not "
    "a DuckDB database, wrong schema version, read-only folder).",
}
#: the same codes in a few words (``vrkit --help``)
EXIT_LABELS: dict[int, str] = {
    0: "ok",
    1: "other error",
    InputError.exit_code: "invalid input",
    SourceError.exit_code: "unreadable file",
    DataValidationError.exit_code: "data problem",
    StorageError.exit_code: "warehouse problem",
}
