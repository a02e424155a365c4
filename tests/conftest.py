"""Suite-wide settings.

``make test`` runs the suite on two processes (pytest-xdist). Each test module stays on one
process, so its module-scoped fixtures (most build a warehouse from the shared data once) are
built once; the portal's tests (``tests/web``) are one group, so the session-scoped PostgreSQL
cluster and portal warehouse are built once too.

The grouping is done here, by the scheduler this file gives xdist (``pytest_xdist_make_scheduler``),
not by ``xdist_group`` marks: with pytest 9.2, xdist 3.8's ``--dist loadgroup`` ignores the marks
(it appends the group to ``item._nodeid``, which pytest 9.2 no longer reads; pytest-xdist issue
#1386), so every test was scheduled on its own and each module's fixtures were built on both
processes, sometimes more than once. The scheduler also hands out the costliest groups first
(:data:`GROUP_SECONDS`), so that neither process is left alone with a long module at the end.
"""

from __future__ import annotations

from typing import Any

import pytest

#: approximate seconds of each slow group on the 2-core reference machine (set-up + calls, from
#: ``--durations``); groups not listed count one second per test. Only the order in which groups
#: are handed out depends on these figures (costliest first), never what runs.
GROUP_SECONDS = {
    "web": 900,
    "tests/health/test_canary.py": 130,
    "tests/reports/test_report_browser.py": 150,
    "tests/reports/test_public_joint_audit.py": 120,
    "tests/reports/test_public_and_sections.py": 110,
    "tests/reports/test_violent_crime.py": 90,
    "tests/reports/test_figures_real.py": 80,
    "tests/tasks/test_core_data.py": 60,
    "tests/fuzz/test_fuzz_adapters.py": 60,
    "tests/reports/test_needs_assessment.py": 50,
    "tests/reports/test_public_needs_rank.py": 50,
}


def group_of(nodeid: str) -> str:
    """The group a test runs in: ``web`` for the portal's tests, else its module's path."""
    if nodeid.rfind("@") > nodeid.rfind("]"):  # a group suffix from a future xdist: not ours
        nodeid = nodeid.rsplit("@", 1)[0]
    path = nodeid.split("::", 1)[0]
    return "web" if path.startswith("tests/web/") else path


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Costliest groups first (each group's tests keep their order)."""
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for i, item in enumerate(items):
        g = group_of(item.nodeid)
        first.setdefault(g, i)
        count[g] = count.get(g, 0) + 1

    def cost(g: str) -> float:
        return GROUP_SECONDS.get(g, float(count[g]))

    order = {g: n for n, g in enumerate(sorted(first, key=lambda g: (-cost(g), first[g])))}
    items.sort(key=lambda item: order[group_of(item.nodeid)])  # stable: in-group order kept


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Whole groups to one process each, in the order of :func:`pytest_collection_modifyitems`."""
    if config.getvalue("dist") not in ("loadgroup", "loadscope", "loadfile"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    config.option.loadscopereorder = False  # keep our order (xdist's is by number of tests)
    return GroupScheduling(config, log)
