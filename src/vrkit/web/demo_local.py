"""``make serve``'s demonstration content for issue #17: the diversion directory (the services
named in the London VRU example data, and a SYNTHETIC set), the needs-assessment tracker (from
the example data), DEMO action plans for the 32 boroughs across every workflow state, and DEMO
users for the commissioner and provider roles. Idempotent: what exists is left alone.

Profiles take about 25 s a plan to compute, so the plans are seeded without them and a
``plan_profile`` job is queued for each: the portal computes them in its job queue after start
(the plan pages say so until then).
"""

from __future__ import annotations

import sys
from pathlib import Path

#: the organisation of the DEMO provider user (a SYNTHETIC directory organisation is tied to it)
DEMO_PROVIDER_ORG = "Demo provider organisation (DEMO)"
DEMO_YEAR = 2021


def seed_local_demo(database_url: str, store: Path) -> list[tuple[str, str, str, str]]:
    """Seed the directory, tracker and plans; return the extra DEMO users (role, email,
    password, scope) to print."""
    from sqlalchemy import func, select

    from vrkit.config import get_settings
    from vrkit.ops import accounts
    from vrkit.ops.db import Database
    from vrkit.ops.directory.models import DirOrganisation, DirService
    from vrkit.ops.models import Job
    from vrkit.ops.plans.models import ActionPlan, SnaItem
    from vrkit.ops.roles import Principal
    from vrkit.store.warehouse import Warehouse
    from vrkit.tasks import action_plans, directory, sna_tracker
    from vrkit.web.demo_users import demo_user
    from vrkit.web.jobs import enqueue

    data_dir = get_settings().data_dir
    system = Principal(role="commissioner", email="system:make-serve", name="make serve")
    admin = Principal(role="admin", email="system:make-serve", name="make serve")
    db = Database(database_url)
    db.migrate()
    users = []
    try:
        gz = None
        if store.exists():
            with Warehouse(store, read_only=True) as wh:
                try:
                    gz = directory.gazetteer(wh)
                except Exception as exc:  # no boundaries: the directory works without places
                    print(f"directory: no places ({exc})", file=sys.stderr)
        with db.session() as s:
            if not s.scalar(select(func.count()).select_from(DirService)):
                r = directory.seed_example_services(s, system, data_dir, gz=gz)
                msg = f"directory: {r['services']} services named in the example data"
                if gz is not None:
                    r2 = directory.synth_directory(s, system, gz=gz, organisations=40)
                    msg += f", {r2['services']} SYNTHETIC services"
                print(msg, file=sys.stderr)
            if not s.scalar(select(func.count()).select_from(SnaItem)):
                r3 = sna_tracker.import_tracker(s, system, data_dir)
                print(f"tracker: {r3['created']} items", file=sys.stderr)
            if not s.scalar(select(func.count()).select_from(ActionPlan)):
                r4 = action_plans.seed_demo_plans(s, system, DEMO_YEAR, profiles=False)
                print(f"plans {DEMO_YEAR}/22: {r4['created']} (DEMO)", file=sys.stderr)
            org = accounts.upsert_organisation(s, admin, DEMO_PROVIDER_ORG, kind="provider")
            linked = s.scalar(
                select(DirOrganisation).where(DirOrganisation.portal_organisation_id == org.id)
            )
            if linked is None:
                first = s.scalar(
                    select(DirOrganisation)
                    .where(DirOrganisation.data_label == "SYNTHETIC")
                    .order_by(DirOrganisation.name)
                )
                if first is not None:
                    first.portal_organisation_id = org.id
                    linked = first
            for role, email, name, scopes in (
                ("commissioner", "commissioner@demo.vrkit.invalid", "Demo commissioner", []),
                (
                    "provider",
                    "provider@demo.vrkit.invalid",
                    "Demo provider",
                    [("organisation", str(org.id))],
                ),
            ):
                password = demo_user(
                    s,
                    admin,
                    email,
                    name,
                    role,
                    scopes,
                    organisation_id=org.id if role == "provider" else None,
                )
                scope = (
                    f"organisation {org.id} ({linked.name if linked else 'no services'})"
                    if scopes
                    else "all"
                )
                users.append((role, email, password, scope))
            missing = list(
                s.scalars(select(ActionPlan.id).where(ActionPlan.profile_full.is_(None)))
            )
            waiting = {
                j.payload.get("plan_id")
                for j in s.scalars(
                    select(Job).where(
                        Job.kind == "plan_profile", Job.status.in_(("queued", "running"))
                    )
                )
            }
            missing = [m for m in missing if m not in waiting]
        if missing and store.exists():
            for pid in missing:
                enqueue(
                    db,
                    "plan_profile",
                    {"plan_id": pid, "by": "system:make-serve", "role": "vru_analyst"},
                    user_id=None,
                )
            print(
                f"plans: {len(missing)} profiles queued; the portal computes them after start "
                "(about 25 s each)",
                file=sys.stderr,
            )
    finally:
        db.dispose()
    return users


__all__ = ["seed_local_demo"]
