"""Roles, permissions, data families and area scopes: the portal's policy as data.

This module says *who may do what and see which edition*; :mod:`vrkit.web.authz` enforces it in
one dependency below every page and API route. Nothing here touches a database or a request.

Vocabulary
----------
permission
    An action a role may take on a kind of resource (``reports.view``, ``istv.upload``,
    ``admin.users``). Every route names exactly one; a route that names none is refused.
data family
    A kind of data with its own sharing rule (``police``, ``health``, ``istv``). A route that
    serves data names its family and the request parameter holding the area (or department).
edition
    What a principal sees of a family in an area: ``full`` (every figure, coordinates, LSOA
    detail, free text) or ``public`` (the disclosure-controlled edition, as ``--public``).
    ``none`` means no access (only for families with no public edition, e.g. ``istv``).
access rule
    How a role sees a family: ``full`` everywhere, ``in_scope`` (full inside the user's scope,
    public elsewhere), ``own`` (full inside the scope, nothing elsewhere) or ``public``.

Extending
---------
New roles (e.g. ``commissioner``, ``provider``), permissions (``programmes.edit``) and families
(``programme`` scoped by ``organisation``) are registered with :func:`register_permission`,
:func:`register_family` and :func:`register_role`, in the feature's own module imported by
:mod:`vrkit.web.app`; the role-matrix test then covers them on every route automatically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Edition = Literal["full", "public", "none"]
Rule = Literal["full", "in_scope", "own", "public", "none"]

#: permission → description (shown in the admin pages and the docs)
PERMISSIONS: dict[str, str] = {}
#: data family → (scope kind that restricts it, whether a public edition exists)
FAMILIES: dict[str, tuple[str, bool]] = {}
#: role name → Role
ROLES: dict[str, Role] = {}
#: scope kind → human label
SCOPE_KINDS: dict[str, str] = {}


def register_permission(name: str, description: str) -> str:
    """Declare a permission (idempotent); returns its name."""
    PERMISSIONS[name] = description
    return name


def register_scope_kind(kind: str, label: str) -> str:
    SCOPE_KINDS[kind] = label
    return kind


def register_family(name: str, scope_kind: str, *, public_edition: bool = True) -> str:
    """Declare a data family restricted by ``scope_kind``; ``public_edition=False`` for data
    that nobody outside the scope may see in any form (e.g. a department's own submissions)."""
    if scope_kind not in SCOPE_KINDS:
        raise ValueError(f"unknown scope kind {scope_kind!r}")
    FAMILIES[name] = (scope_kind, public_edition)
    return name


@dataclass(frozen=True)
class Role:
    """A role: its permissions and how it sees each data family.

    ``data`` maps family → rule; families not listed get ``public`` (or ``none`` if the family
    has no public edition). ``scope_kinds`` are the scope kinds its users carry (the admin pages
    offer them). ``signed_in`` is False only for the anonymous ``public`` role.
    """

    name: str
    label: str
    description: str
    permissions: frozenset[str]
    data: Mapping[str, Rule] = field(default_factory=dict)
    scope_kinds: tuple[str, ...] = ()
    signed_in: bool = True

    def rule(self, family: str) -> Rule:
        if family in self.data:
            return self.data[family]
        return "public" if FAMILIES[family][1] else "none"


def register_role(role: Role) -> Role:
    unknown = [p for p in role.permissions if p not in PERMISSIONS]
    unknown += [f for f in role.data if f not in FAMILIES]
    unknown += [k for k in role.scope_kinds if k not in SCOPE_KINDS]
    if unknown:
        raise ValueError(f"role {role.name!r} names unknown permissions/families/scopes {unknown}")
    ROLES[role.name] = role
    return role


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user (by session or API token) or the anonymous public."""

    role: str
    user_id: int | None = None
    email: str | None = None
    name: str | None = None
    organisation_id: int | None = None
    scopes: frozenset[tuple[str, str]] = frozenset()
    via: Literal["session", "token", "anonymous"] = "anonymous"
    must_change_password: bool = False

    @property
    def role_def(self) -> Role:
        return ROLES[self.role]

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    def has(self, permission: str) -> bool:
        return permission in self.role_def.permissions

    def scope_codes(self, kind: str) -> frozenset[str]:
        return frozenset(c for k, c in self.scopes if k == kind)

    def edition(self, family: str, codes: Iterable[str] | None) -> Edition:
        """The edition of ``family`` this principal sees for the areas/departments ``codes``
        (``None``: all of them, e.g. London as a whole)."""
        rule = self.role_def.rule(family)
        if rule in ("full", "public", "none"):
            return rule
        kind, has_public = FAMILIES[family]
        mine = self.scope_codes(kind)
        wanted = None if codes is None else set(codes)
        inside = wanted is not None and bool(wanted) and wanted <= mine
        if inside:
            return "full"
        if rule == "own" or not has_public:
            return "none"
        return "public"

    @property
    def scope_text(self) -> str:
        """The scope as one line for the audit log."""
        if not self.scopes:
            return "all" if self.signed_in and self.role_def.data else "none"
        return ",".join(f"{k}:{c}" for k, c in sorted(self.scopes))


ANONYMOUS = Principal(role="public")

# -- the portal's vocabulary (issue #14) -------------------------------------------------------
BOROUGH = register_scope_kind("borough", "Borough (local authority district)")
DEPARTMENT = register_scope_kind("department", "Emergency department (ODS site code)")

POLICE = register_family("police", BOROUGH)
HEALTH = register_family("health", BOROUGH)
ISTV = register_family("istv", DEPARTMENT, public_edition=False)

PUBLIC_VIEW = register_permission(
    "public.view", "Browse pages and public (disclosure-controlled) editions; download them"
)
REPORTS_VIEW = register_permission(
    "reports.view", "Reports, trends, hot spots and downloads in the editions the role allows"
)
DATATOOL = register_permission("datatool.use", "The data tool: need index ranking")
ALERTS = register_permission("alerts.view", "Early-warning alerts for a month")
DATASETS = register_permission("datasets.view", "Datasets loaded and their quality review")
ISTV_UPLOAD = register_permission("istv.upload", "Upload ISTV (A&E assault) returns")
ISTV_VIEW = register_permission("istv.view", "ISTV submissions, validation results, completeness")
ACCOUNT = register_permission("account.self", "Own account: password and API tokens")
ADMIN_USERS = register_permission(
    "admin.users", "Manage users, organisations, roles and scopes; invitations"
)
ADMIN_AUDIT = register_permission("admin.audit", "Read the audit log")

_SIGNED_IN = frozenset({PUBLIC_VIEW, ACCOUNT})

register_role(
    Role(
        "public",
        "Public",
        "Not signed in: public editions only.",
        frozenset({PUBLIC_VIEW}),
        signed_in=False,
    )
)
register_role(
    Role(
        "vru_analyst",
        "VRU analyst",
        "Everything, all London, full detail.",
        _SIGNED_IN | {REPORTS_VIEW, DATATOOL, ALERTS, DATASETS, ISTV_VIEW},
        data={POLICE: "full", HEALTH: "full", ISTV: "full"},
    )
)
register_role(
    Role(
        "csp_analyst",
        "Community Safety Partnership analyst",
        "Full detail for its own borough(s); public edition elsewhere.",
        _SIGNED_IN | {REPORTS_VIEW, DATATOOL, DATASETS},
        data={POLICE: "in_scope", HEALTH: "in_scope"},
        scope_kinds=(BOROUGH,),
    )
)
register_role(
    Role(
        "police_partner",
        "Police partner",
        "Police data in full detail; health data in the public edition only.",
        _SIGNED_IN | {REPORTS_VIEW, DATASETS},
        data={POLICE: "full", HEALTH: "public"},
    )
)
register_role(
    Role(
        "ed_submitter",
        "Emergency department submitter",
        "Uploads ISTV returns for its own department(s); sees their validation and completeness.",
        _SIGNED_IN | {ISTV_UPLOAD, ISTV_VIEW},
        data={ISTV: "own"},
        scope_kinds=(DEPARTMENT,),
    )
)
register_role(
    Role(
        "admin",
        "Administrator",
        "Users, organisations, roles, scopes and the audit log (no non-public data).",
        _SIGNED_IN | {ADMIN_USERS, ADMIN_AUDIT},
    )
)
