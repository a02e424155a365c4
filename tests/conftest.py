"""Suite-wide settings.

``make test`` runs the suite on two processes (pytest-xdist, ``--dist loadgroup``). Each test
module stays on one process, so its module-scoped fixtures (most build a warehouse from the shared
data once) are built once; the portal's tests (``tests/web``) are one group, so the session-scoped
PostgreSQL cluster and portal warehouse are built once too.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        path = item.path.as_posix()
        group = "web" if "/tests/web/" in path else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
