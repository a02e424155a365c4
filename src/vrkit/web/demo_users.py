"""DEMO users for ``make serve`` (the portal's seeding and issue #17's demo content share it)."""

from __future__ import annotations

from typing import Any


def demo_user(
    s: Any,
    actor: Any,
    email: str,
    name: str,
    role: str,
    scopes: list[tuple[str, str]],
    *,
    organisation_id: int | None,
) -> str:
    """Create a DEMO user, or reset it (active, unlocked, role and scopes as given), with a new
    random password, which is returned for printing."""
    import secrets

    from sqlalchemy import select

    from vrkit.ops import accounts
    from vrkit.ops.models import User
    from vrkit.ops.passwords import hash_password

    password = "demo-" + secrets.token_urlsafe(9)
    user = s.scalar(select(User).where(User.email == email))
    if user is None:
        accounts.create_user(
            s,
            actor,
            email=email,
            name=name,
            role=role,
            scopes=scopes,
            organisation_id=organisation_id,
            password=password,
            must_change_password=False,
        )
    else:
        user.password_hash = hash_password(password)
        user.must_change_password, user.active = False, True
        user.failed_logins, user.locked_until = 0, None
        accounts.change_user(s, actor, user.id, role=role, scopes=scopes)
    return password
