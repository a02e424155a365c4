"""Hypothesis profiles for the adapter fuzzing harness.

``make test`` runs the deterministic ``ci`` profile: a few examples per adapter, the same ones
every run. ``make fuzz`` runs the ``fuzz`` profile: many random examples (``VRKIT_FUZZ_EXAMPLES``,
default 300 per adapter) and prints what it found.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile(
    "ci", max_examples=5, derandomize=True, deadline=None, suppress_health_check=_SLOW
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("VRKIT_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=_SLOW,
    print_blob=True,
)
settings.load_profile(os.environ.get("VRKIT_FUZZ_PROFILE", "ci"))
