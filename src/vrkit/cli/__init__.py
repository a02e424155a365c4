"""The ``vrkit`` command line: a thin face over :mod:`vrkit.tasks`.

- :mod:`vrkit.cli.app` — the Typer application and its root ``--store`` option;
- one module per command group (:mod:`~vrkit.cli.data`, :mod:`~vrkit.cli.trends`,
  :mod:`~vrkit.cli.places`, :mod:`~vrkit.cli.reports`, :mod:`~vrkit.cli.anticipate`,
  :mod:`~vrkit.cli.health`, :mod:`~vrkit.cli.synth`, :mod:`~vrkit.cli.rank`);
- :mod:`vrkit.cli.options` — the options every command shares (``--store``, ``--format``,
  ``--out``/``--force``); :mod:`vrkit.cli.errors` — the one error → exit-code mapping;
  :mod:`vrkit.cli.output` — safe printing (no markup, no control characters from data).
"""

from vrkit.cli.app import app, main

__all__ = ["app", "main"]
