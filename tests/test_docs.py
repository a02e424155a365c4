"""The CLI reference in docs/cli.md is generated from the commands and must stay current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current(tmp_path: Path) -> None:
    out = tmp_path / "cli.md"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_reference.py"), str(out)],
        check=True,
        capture_output=True,
    )
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, (
        "docs/cli.md is out of date: run `make docs` and commit it"
    )


def test_readme_opens_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text[: text.index("## ")]
    assert "make demo" in head and "make test" in head


def test_cli_reference_documents_conventions_and_exit_codes() -> None:
    from vrkit.errors import EXIT_CODES

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "## Exit codes" in text and "## Conventions shared by every command" in text
    for code in EXIT_CODES:
        assert f"| {code} |" in text
    assert text.count("--format") >= 10 and "a comma list or repeated" in text
