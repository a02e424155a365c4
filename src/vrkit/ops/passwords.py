"""Password hashing (Argon2id, RFC 9106) and the password rules.

Parameters: OWASP's Password Storage Cheat Sheet configuration for Argon2id, m=19 MiB, t=2
iterations, p=1 lane (16-byte salt, 32-byte hash). RFC 9106's own second option (m=64 MiB, t=3,
p=4) costs 2 s a hash on a busy 2-core server, which makes sign-in itself a denial-of-service
lever; the OWASP setting keeps about 30-60 ms while staying memory-hard. Hashes made with other
parameters are upgraded at the next successful sign-in (:func:`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vrkit.errors import InputError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
#: verified against when an account does not exist, so timing does not reveal which emails exist
_DUMMY = _HASHER.hash("not a real password: timing equaliser")

MIN_LENGTH = 12
MAX_LENGTH = 256
#: a few of the most common passwords of 12+ characters (a full breached list is not shipped)
_COMMON = frozenset(
    {
        "password1234",
        "123456789012",
        "qwertyuiop12",
        "passwordpassword",
        "iloveyou1234",
        "changemechangeme",
        "administrator",
        "welcome12345",
    }
)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored``; constant work when there is no stored hash."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def check_new_password(password: str, *, email: str = "") -> None:
    """Raise :class:`InputError` if ``password`` breaks the rules (ASVS 2.1: at least 12
    characters, at most 256, not a common password, not the email address)."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InputError(f"the password must have at most {MAX_LENGTH} characters")
    low = password.lower()
    if low in _COMMON or len(set(low)) < 4:
        raise InputError("this password is too easy to guess", hint="Use a few unrelated words.")
    if email and email.lower().split("@")[0] in low and len(email.split("@")[0]) >= 4:
        raise InputError("the password must not contain your email name")
