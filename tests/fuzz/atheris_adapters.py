"""Coverage-guided fuzzing of the pure-Python parsers with atheris (``make fuzz``).

Hypothesis (``test_fuzz_adapters.py``) mutates real files structurally; atheris adds coverage
guidance for the parsers written in Python, where new branches are reachable byte by byte: the
ISTV submission parser (header lines, identifiers, record rules), the strict CSV reader used by
the aggregate formats, and text decoding. Each input is written to a file and read by the
adapter; anything but a clear :class:`~vrkit.errors.VrkitError` or a load whose counts add up
is a crash that atheris reports with the input that caused it.

Usage::

    python tests/fuzz/atheris_adapters.py KIND [-runs=N] [-max_len=N] [corpus dirs]

KIND is ``istv``, ``ambulance_assaults``, ``mps_borough_monthly`` or ``mps_homicide_victims``;
the seed of :mod:`tests.fuzz.test_fuzz_adapters` starts the corpus.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["vrkit"]):
    from vrkit.errors import VrkitError
    from vrkit.sources import base, files, istv, pii  # noqa: F401  (instrumented for coverage)
    from vrkit.sources.registry import ADAPTERS

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.fuzz.test_fuzz_adapters import seed

KINDS = ("istv", "ambulance_assaults", "mps_borough_monthly", "mps_homicide_victims")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in KINDS:
        raise SystemExit(f"usage: {sys.argv[0]} {{{','.join(KINDS)}}} [libFuzzer options]")
    kind = sys.argv.pop(1)
    adapter = next(a for a in ADAPTERS if a.kind == kind)
    tmp = Path(tempfile.mkdtemp(prefix="vrkit-atheris-"))
    s = seed(kind, tmp)
    corpus = tmp / "corpus"
    corpus.mkdir()
    (corpus / "seed").write_bytes(s.content)
    target = tmp / s.name

    def one_input(data: bytes) -> None:
        target.write_bytes(data)
        try:
            frames = adapter.read(target)
        except VrkitError:
            return
        rep = frames.report
        if rep.rows_read != rep.rows_loaded + rep.rows_rejected:
            raise AssertionError(f"counts do not add up: {rep.summary()}")

    atheris.Setup([*sys.argv, str(corpus)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
