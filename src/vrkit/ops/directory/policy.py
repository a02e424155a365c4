"""Who may do what in the diversion directory (issue #17), registered with
:mod:`vrkit.ops.roles` on import so the portal's one authorisation dependency enforces it.

- Everyone (the public too) finds published services and how to refer in general terms.
- ``police_partner``, ``csp_analyst``, ``vru_analyst`` and ``commissioner`` see the referral
  details (referral desks, secure emails, named contacts): the ``directory`` family in full.
- ``commissioner`` curates: edits any service, imports and exports, reviews providers' changes,
  records referral counts.
- ``provider`` edits to its own organisation's services (reviewed before
  publication), sees their referral details and records their referral counts.

The ``commissioner`` and ``provider`` roles belong to the delivery side (issue #15): they are
defined here only when that side is not installed, and :func:`vrkit.ops.roles.grant` adds the
directory's permissions to them either way.
"""

from __future__ import annotations

from vrkit.ops import audit
from vrkit.ops.roles import (
    ACCOUNT,
    PUBLIC_VIEW,
    ROLES,
    Role,
    grant,
    register_family,
    register_permission,
    register_role,
    register_scope_kind,
)

ORGANISATION = register_scope_kind("organisation", "Funded organisation (portal organisation id)")
#: a service's referral details: full for partners, the public edition (no referral details)
#: for everyone else; scoped by the portal organisation that runs the service
DIRECTORY = register_family("directory", ORGANISATION)
#: an organisation's own directory records (changing its services, its proposals, its referral
#: counts): only that organisation (providers) or the VRU
DIRECTORY_OWN = register_family("directory_own", ORGANISATION, public_edition=False)

CURATE = register_permission(
    "directory.curate",
    "Curate the diversion directory: edit any service, import/export, review providers' changes",
)
EDIT = register_permission(
    "directory.edit",
    "Edit directory services (a curator's edits publish at once; a provider's are reviewed)",
)
REFERRALS_RECORD = register_permission(
    "directory.referrals.record", "Record monthly referral counts for services"
)
REFERRALS_VIEW = register_permission(
    "directory.referrals.view", "Referral counts per service and month, and by programme"
)

if "commissioner" not in ROLES:
    register_role(
        Role(
            "commissioner",
            "Commissioner (VRU programme staff)",
            "Commissions and curates: programmes, the diversion directory, plan reviews.",
            frozenset({PUBLIC_VIEW, ACCOUNT}),
        )
    )
if "provider" not in ROLES:
    register_role(
        Role(
            "provider",
            "Programme provider (funded organisation)",
            "A funded organisation: its own services and programmes only.",
            frozenset({PUBLIC_VIEW, ACCOUNT}),
            scope_kinds=(ORGANISATION,),
        )
    )

grant(
    "commissioner",
    {CURATE, EDIT, REFERRALS_RECORD, REFERRALS_VIEW},
    {DIRECTORY: "full", DIRECTORY_OWN: "full"},
)
grant(
    "provider",
    {EDIT, REFERRALS_RECORD, REFERRALS_VIEW},
    {DIRECTORY: "in_scope", DIRECTORY_OWN: "own"},
)
grant("vru_analyst", {REFERRALS_VIEW}, {DIRECTORY: "full", DIRECTORY_OWN: "full"})
grant("police_partner", (), {DIRECTORY: "full"})
grant("csp_analyst", (), {DIRECTORY: "full"})

audit.ACTIONS.update(
    {
        "directory_imported": "Directory imported (Open Referral UK)",
        "directory_exported": "Directory exported (Open Referral UK)",
        "service_changed": "Directory service created or changed",
        "service_change_proposed": "Directory change proposed for review",
        "service_change_approved": "Directory change approved and published",
        "service_change_rejected": "Directory change rejected",
        "referrals_recorded": "Referral counts recorded",
    }
)
