"""Who may do what with the local violence reduction action plans and the Strategic Needs
Assessment tracker (issue #17); registered with :mod:`vrkit.ops.roles` on import.

- A Community Safety Partnership (``csp_analyst`` with a borough scope) writes its own borough's
  plan, refreshes its profile, submits it and answers comments; it sees other boroughs' plans
  only once published, in the public edition.
- The VRU (``vru_analyst``, ``commissioner``) reviews every plan: comments, asks for changes,
  publishes; it sees the progress view across the 32 plans. The MPS (``police_partner``) reviews
  with the VRU: it reads every plan and comments.
- The public reads published plans in their public (disclosure-controlled) edition.
- The tracker is a public review of a public report; the VRU keeps it up to date.
"""

from __future__ import annotations

from vrkit.ops import audit
from vrkit.ops.directory.policy import ORGANISATION  # noqa: F401  (roles defined there)
from vrkit.ops.roles import BOROUGH, grant, register_family, register_permission

#: a plan as read: full in scope, the public edition of a published plan elsewhere
PLAN = register_family("plan", BOROUGH)
#: a plan as changed: only its own partnership, or the VRU/MPS reviewers
PLAN_WORK = register_family("plan_work", BOROUGH, public_edition=False)

PLANS_VIEW = register_permission("plans.view", "Action plans in every state, within scope")
PLANS_EDIT = register_permission("plans.edit", "Write the partnership's own action plan")
PLANS_REFRESH = register_permission(
    "plans.refresh", "Refresh a plan's local violence profile from the warehouse"
)
PLANS_COMMENT = register_permission("plans.comment", "Comment on action plans under review")
PLANS_REVIEW = register_permission(
    "plans.review", "Review action plans: start review, ask for changes, publish"
)
PLANS_PROGRESS = register_permission(
    "plans.progress", "Progress across all plans (actions by status, overdue, themes), exports"
)
TRACKER_EDIT = register_permission(
    "tracker.edit", "Update the needs-assessment tracker: owners, status, evidence, links"
)

grant(
    "csp_analyst",
    {PLANS_VIEW, PLANS_EDIT, PLANS_REFRESH, PLANS_COMMENT},
    {PLAN: "in_scope", PLAN_WORK: "own"},
)
_REVIEWERS = {PLANS_VIEW, PLANS_REFRESH, PLANS_COMMENT, PLANS_REVIEW, PLANS_PROGRESS, TRACKER_EDIT}
grant("vru_analyst", _REVIEWERS, {PLAN: "full", PLAN_WORK: "full"})
grant("commissioner", _REVIEWERS, {PLAN: "full", PLAN_WORK: "full"})
grant(
    "police_partner", {PLANS_VIEW, PLANS_COMMENT, PLANS_PROGRESS}, {PLAN: "full", PLAN_WORK: "full"}
)

audit.ACTIONS.update(
    {
        "plan_created": "Action plan created",
        "plan_edited": "Action plan edited",
        "plan_profile_refreshed": "Action plan profile refreshed from the warehouse",
        "plan_submitted": "Action plan submitted",
        "plan_review_started": "Action plan review started",
        "plan_changes_requested": "Action plan returned with comments",
        "plan_revised": "Action plan resubmitted after revision",
        "plan_published": "Action plan published",
        "plan_comment": "Comment on an action plan",
        "tracker_imported": "Needs-assessment tracker imported",
        "tracker_changed": "Needs-assessment tracker item changed",
    }
)
