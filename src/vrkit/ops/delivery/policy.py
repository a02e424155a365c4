"""Who may do what on the delivery side (issue #15): the ``commissioner`` and ``provider``
roles, their permissions, the ``programme`` data family scoped by ``organisation``, and the
audit actions of delivery work. Registered with :mod:`vrkit.ops.roles` on import, so the
portal's one authorisation dependency enforces them and the role matrix covers them.

- ``commissioner`` (VRU programme staff): everything here: the register, money, reprofiling,
  returns of every programme, targets, the logic model and the delivery reports.
- ``provider`` (a funded organisation): submits returns for the programmes its organisation
  leads or delivers and sees their progress; nothing of other organisations, and no finance.
"""

from __future__ import annotations

from vrkit.ops import audit
from vrkit.ops.roles import (
    ACCOUNT,
    PUBLIC_VIEW,
    Role,
    register_family,
    register_permission,
    register_role,
    register_scope_kind,
)

ORGANISATION = register_scope_kind("organisation", "Funded organisation (portal organisation id)")
PROGRAMME = register_family("programme", ORGANISATION, public_edition=False)

PROGRAMMES_VIEW = register_permission(
    "programmes.view", "The programme register, programme pages and progress against targets"
)
PROGRAMMES_EDIT = register_permission(
    "programmes.edit", "Create and edit programmes, targets and the logic model; imports"
)
FINANCE_VIEW = register_permission(
    "finance.view", "Budgets, commitments, spend, forecasts and the finance dashboard"
)
FINANCE_EDIT = register_permission(
    "finance.edit", "Record budgets and spend; propose, approve and reverse reprofiles"
)
RETURNS_SUBMIT = register_permission(
    "returns.submit", "Download monitoring-return templates and submit returns"
)
RETURNS_VIEW = register_permission("returns.view", "Monitoring returns and their validation")
DELIVERY_REPORTS = register_permission(
    "delivery.reports", "Delivery tables, the logic model with live progress, 360Giving export"
)

COMMISSIONER = register_role(
    Role(
        "commissioner",
        "Commissioner (VRU programme staff)",
        "Programmes, money, returns, targets and the logic model for every funded programme.",
        frozenset(
            {
                PUBLIC_VIEW,
                ACCOUNT,
                PROGRAMMES_VIEW,
                PROGRAMMES_EDIT,
                FINANCE_VIEW,
                FINANCE_EDIT,
                RETURNS_SUBMIT,
                RETURNS_VIEW,
                DELIVERY_REPORTS,
            }
        ),
        data={PROGRAMME: "full"},
    )
)
PROVIDER = register_role(
    Role(
        "provider",
        "Programme provider (funded organisation)",
        "Submits monitoring returns for its own programmes and sees their progress only.",
        frozenset({PUBLIC_VIEW, ACCOUNT, PROGRAMMES_VIEW, RETURNS_SUBMIT, RETURNS_VIEW}),
        data={PROGRAMME: "own"},
        scope_kinds=(ORGANISATION,),
    )
)

audit.ACTIONS.update(
    {
        "programme_changed": "Programme created or changed",
        "delivery_imported": "Programmes, money or targets imported",
        "budget_changed": "Budget, allocation or profile changed",
        "spend_recorded": "Actual spend or forecast recorded",
        "reprofile_proposed": "Reprofile proposed",
        "reprofile_approved": "Reprofile approved",
        "reprofile_rejected": "Reprofile rejected",
        "reprofile_reversed": "Reprofile reversed",
        "return_submitted": "Monitoring return submitted",
        "return_rejected": "Monitoring return refused (validation)",
        "logic_model_versioned": "Logic model version created",
        "export": "Data exported (360Giving)",
    }
)
