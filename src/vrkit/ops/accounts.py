"""Users, organisations, scopes, sign-in with lockout, web sessions and API tokens.

Every change of a role, a scope or an account's status is written to the audit log in the same
transaction as the change itself.

Sign-in (ASVS V2): Argon2id hashes; after :data:`MAX_FAILURES` consecutive failures an account is
locked for :data:`LOCK_MINUTES` minutes (audited); the same message is given for an unknown email,
a wrong password and a locked account, so sign-in does not reveal which accounts exist. The web
layer adds a per-address rate limit in front (:mod:`vrkit.web.security`).

Sessions (ASVS V3): a random 256-bit id in the cookie, only its SHA-256 stored; a new id at every
sign-in; ended at sign-out, after :data:`IDLE` without use or :data:`ABSOLUTE` after sign-in,
and when the user's role, scopes or password change.

API tokens: ``vrk_`` + 256 random bits, shown once, stored as SHA-256 (the token has full
entropy, so a fast hash is enough), revocable, optionally expiring.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from vrkit.errors import InputError
from vrkit.ops import audit
from vrkit.ops.models import ApiToken, Organisation, Scope, User, WebSession, utcnow
from vrkit.ops.passwords import check_new_password, hash_password, needs_rehash, verify_password
from vrkit.ops.roles import ANONYMOUS, ROLES, SCOPE_KINDS, Principal

MAX_FAILURES = 5
LOCK_MINUTES = 15
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
#: last_seen is written at most this often (fewer writes under load; idle timeout stays exact to
#: within this)
TOUCH_EVERY = timedelta(seconds=60)
TOKEN_PREFIX = "vrk_"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def principal_of(user: User, via: str) -> Principal:
    return Principal(
        role=user.role,
        user_id=user.id,
        email=user.email,
        name=user.name,
        organisation_id=user.organisation_id,
        scopes=frozenset((sc.kind, sc.code) for sc in user.scopes),
        via=via,  # type: ignore[arg-type]
        must_change_password=user.must_change_password,
    )


def _normalise_email(email: str) -> str:
    e = email.strip().lower()
    if "@" not in e or len(e) > 254 or any(c.isspace() for c in e):
        raise InputError("enter an email address, like name@example.org")
    return e


def _check_role_scopes(role: str, scopes: list[tuple[str, str]]) -> None:
    if role not in ROLES or not ROLES[role].signed_in:
        raise InputError(f"unknown role {role!r}", hint="Roles: " + ", ".join(_signed_in_roles()))
    allowed = ROLES[role].scope_kinds
    for kind, code in scopes:
        if kind not in SCOPE_KINDS:
            raise InputError(f"unknown scope kind {kind!r}")
        if kind not in allowed:
            raise InputError(f"the role {role} does not take a {kind} scope")
        if not code or len(code) > 40:
            raise InputError("a scope code is needed (e.g. E09000022 or RJ122)")
    if allowed and not scopes:
        raise InputError(
            f"a {ROLES[role].label} needs at least one scope ({', '.join(allowed)})",
            hint="Without a scope the account could see nothing of its own.",
        )


def _signed_in_roles() -> list[str]:
    return [r for r, d in ROLES.items() if d.signed_in]


# -- organisations -----------------------------------------------------------------------------
def upsert_organisation(
    s: Session, actor: Principal, name: str, *, kind: str = "partner", identifier: str | None = None
) -> Organisation:
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError("an organisation needs a name of at most 200 characters")
    org = s.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind, identifier=identifier, created_at=utcnow())
        s.add(org)
    else:
        org.kind, org.identifier = kind, identifier
    s.flush()
    audit.record(
        s, actor, "organisation_changed", target=f"organisation:{org.id}", detail={"name": name}
    )
    return org


# -- users -------------------------------------------------------------------------------------
def create_user(
    s: Session,
    actor: Principal,
    *,
    email: str,
    name: str,
    role: str,
    scopes: list[tuple[str, str]] | None = None,
    organisation_id: int | None = None,
    password: str | None = None,
    must_change_password: bool = True,
    password_hash: str | None = None,
) -> tuple[User, str]:
    """Create a user with an initial password (given, or generated and returned once). The user
    must change it at first sign-in unless ``must_change_password`` is False. ``password_hash``
    (an Argon2 hash, e.g. of an account migrated from another system) replaces ``password``."""
    email = _normalise_email(email)
    scopes = scopes or []
    _check_role_scopes(role, scopes)
    if s.scalar(select(User.id).where(User.email == email)) is not None:
        raise InputError(f"a user with the email {email} already exists")
    initial = password or secrets.token_urlsafe(12)
    if password_hash is None:
        check_new_password(initial, email=email)
    user = User(
        email=email,
        name=name.strip() or email,
        role=role,
        organisation_id=organisation_id,
        password_hash=password_hash or hash_password(initial),
        must_change_password=must_change_password,
        active=True,
        failed_logins=0,
        created_at=utcnow(),
        version=1,
    )
    user.scopes = [Scope(kind=k, code=c) for k, c in sorted(set(scopes))]
    s.add(user)
    s.flush()
    audit.record(
        s,
        actor,
        "user_created",
        target=f"user:{user.id}",
        detail={"email": email, "role": role, "scopes": [f"{k}:{c}" for k, c in scopes]},
    )
    return user, initial


def get_user(s: Session, user_id: int) -> User | None:
    return s.scalar(select(User).where(User.id == user_id).options(selectinload(User.scopes)))


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).options(selectinload(User.scopes)).order_by(User.email)))


def change_user(
    s: Session,
    actor: Principal,
    user_id: int,
    *,
    role: str | None = None,
    scopes: list[tuple[str, str]] | None = None,
    active: bool | None = None,
    organisation_id: int | bool | None = False,
) -> User:
    """Change a user's role, scopes, status or organisation; ends their sessions so the change
    takes effect at once (API tokens are re-checked on every request anyway)."""
    user = get_user(s, user_id)
    if user is None:
        raise InputError(f"no user {user_id}")
    new_role = role or user.role
    new_scopes = scopes if scopes is not None else [(x.kind, x.code) for x in user.scopes]
    if role is not None and scopes is None and ROLES.get(role) and not ROLES[role].scope_kinds:
        new_scopes = []
    _check_role_scopes(new_role, new_scopes)
    if actor.user_id == user.id and (new_role != user.role or active is False):
        raise InputError("administrators cannot change their own role or deactivate themselves")
    before = {
        "role": user.role,
        "scopes": sorted(f"{x.kind}:{x.code}" for x in user.scopes),
        "active": user.active,
    }
    user.role = new_role
    _set_scopes(user, new_scopes)
    if active is not None:
        user.active = active
        if active:
            user.failed_logins, user.locked_until = 0, None
    if organisation_id is not False:
        user.organisation_id = organisation_id
    user.version += 1
    s.flush()
    after = {
        "role": user.role,
        "scopes": sorted(f"{x.kind}:{x.code}" for x in user.scopes),
        "active": user.active,
    }
    end_sessions(s, user.id)
    audit.record(
        s,
        actor,
        "user_changed",
        target=f"user:{user.id}",
        detail={"before": before, "after": after},
    )
    return user


def _set_scopes(user: User, scopes: list[tuple[str, str]]) -> None:
    """Make ``user.scopes`` equal ``scopes``, keeping the rows that stay (a replace would insert
    before deleting and hit the unique constraint)."""
    wanted = set(scopes)
    user.scopes = [sc for sc in user.scopes if (sc.kind, sc.code) in wanted]
    have = {(sc.kind, sc.code) for sc in user.scopes}
    user.scopes.extend(Scope(kind=k, code=c) for k, c in sorted(wanted - have))


def reset_password(s: Session, actor: Principal, user_id: int) -> str:
    """Set a new random initial password that must be changed at next sign-in; returned once."""
    user = get_user(s, user_id)
    if user is None:
        raise InputError(f"no user {user_id}")
    initial = secrets.token_urlsafe(12)
    user.password_hash = hash_password(initial)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    user.version += 1
    end_sessions(s, user.id)
    audit.record(s, actor, "password_reset", target=f"user:{user.id}")
    return initial


def change_password(s: Session, who: Principal, current: str, new: str) -> None:
    user = get_user(s, who.user_id or -1)
    if user is None or not verify_password(user.password_hash, current):
        raise InputError("the current password is not right")
    if current == new:
        raise InputError("the new password must differ from the current one")
    check_new_password(new, email=user.email)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    user.version += 1
    audit.record(s, who, "password_changed", target=f"user:{user.id}")


# -- sign-in -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignIn:
    """Outcome of :func:`authenticate`: the user, or ``None`` with the reason kept for the log."""

    user: User | None
    reason: str = ""


def authenticate(s: Session, email: str, password: str, *, ip: str | None = None) -> SignIn:
    """Check a password; count failures, lock after :data:`MAX_FAILURES`; audit either way."""
    try:
        email = _normalise_email(email)
    except InputError:
        verify_password(None, password)
        audit.record(
            s,
            ANONYMOUS,
            "sign_in_failed",
            target="",
            ip=ip,
            outcome="failed",
            detail={"reason": "malformed email"},
        )
        return SignIn(None, "malformed email")
    user = s.scalar(select(User).where(User.email == email).options(selectinload(User.scopes)))
    now = utcnow()
    if user is None:
        verify_password(None, password)
        audit.record(
            s,
            ANONYMOUS,
            "sign_in_failed",
            ip=ip,
            outcome="failed",
            email=email,
            detail={"reason": "unknown account"},
        )
        return SignIn(None, "unknown account")
    who = principal_of(user, "session")
    if user.locked_until is not None and user.locked_until > now:
        verify_password(None, password)
        audit.record(s, who, "sign_in_failed", ip=ip, outcome="denied", detail={"reason": "locked"})
        return SignIn(None, "locked")
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        reason = "wrong password"
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            audit.record(
                s,
                who,
                "account_locked",
                ip=ip,
                outcome="denied",
                target=f"user:{user.id}",
                detail={"minutes": LOCK_MINUTES},
            )
        audit.record(s, who, "sign_in_failed", ip=ip, outcome="failed", detail={"reason": reason})
        return SignIn(None, reason)
    if not user.active:
        audit.record(
            s, who, "sign_in_failed", ip=ip, outcome="denied", detail={"reason": "inactive"}
        )
        return SignIn(None, "inactive")
    user.failed_logins, user.locked_until = 0, None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(s, who, "sign_in", ip=ip, target=f"user:{user.id}")
    return SignIn(user)


# -- sessions ----------------------------------------------------------------------------------
def start_session(s: Session, user: User) -> str:
    """A new session for ``user``; returns the cookie value (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    s.add(WebSession(id_hash=_sha(token), user_id=user.id, created_at=now, last_seen_at=now))
    return token


def resume_session(
    s: Session, token: str, *, idle: timedelta = IDLE, absolute: timedelta = ABSOLUTE
) -> tuple[User, WebSession] | None:
    """The user of a live session, touching it; ``None`` if unknown, ended or timed out."""
    if not token or len(token) > 100:
        return None
    ws = s.get(WebSession, _sha(token))
    if ws is None or ws.ended_at is not None:
        return None
    now = utcnow()
    if now - ws.last_seen_at > idle or now - ws.created_at > absolute:
        ws.ended_at = now
        return None
    user = get_user(s, ws.user_id)
    if user is None or not user.active:
        ws.ended_at = now
        return None
    if now - ws.last_seen_at > TOUCH_EVERY:
        ws.last_seen_at = now
    return user, ws


def end_session(s: Session, token: str) -> None:
    ws = s.get(WebSession, _sha(token)) if token else None
    if ws is not None and ws.ended_at is None:
        ws.ended_at = utcnow()


def end_sessions(s: Session, user_id: int) -> None:
    s.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def session_id_hash(token: str) -> str:
    return _sha(token)


# -- API tokens --------------------------------------------------------------------------------
def create_token(
    s: Session, who: Principal, name: str, *, days: int | None = 90
) -> tuple[ApiToken, str]:
    """A new API token for ``who``; the secret is returned once and never stored."""
    name = name.strip()[:100] or "API token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken(
        user_id=who.user_id,
        name=name,
        token_hash=_sha(secret),
        prefix=secret[:10],
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    s.add(tok)
    s.flush()
    audit.record(s, who, "token_created", target=f"token:{tok.id}", detail={"name": name})
    return tok, secret


def user_tokens(s: Session, user_id: int) -> list[ApiToken]:
    return list(
        s.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id))
    )


def revoke_token(s: Session, who: Principal, token_id: int, *, any_user: bool = False) -> None:
    tok = s.get(ApiToken, token_id)
    if tok is None or (tok.user_id != who.user_id and not any_user):
        raise InputError("no such token")
    if tok.revoked_at is None:
        tok.revoked_at = utcnow()
        audit.record(s, who, "token_revoked", target=f"token:{tok.id}")


def token_user(s: Session, secret: str) -> User | None:
    """The active user of a live token (touching ``last_used_at``), else ``None``."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    tok = s.scalar(select(ApiToken).where(ApiToken.token_hash == _sha(secret)))
    now = utcnow()
    if tok is None or tok.revoked_at is not None or (tok.expires_at and tok.expires_at <= now):
        return None
    user = get_user(s, tok.user_id)
    if user is None or not user.active or user.must_change_password:
        return None
    if tok.last_used_at is None or now - tok.last_used_at > TOUCH_EVERY:
        tok.last_used_at = now
    return user


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())
