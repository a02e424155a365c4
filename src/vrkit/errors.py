"""Errors an analyst can act on.

Every message states the rule, what was received, where (file, row, column) and a hint.
``vrkit.cli`` maps :class:`VrkitError` to a message and a non-zero exit code in one place.
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
