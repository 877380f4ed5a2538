"""Users and API tokens. A token is shown once, when it is created; only its SHA-256 is stored."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from radar_api.service.text import text_refusal
from radar_shared.db import session_scope
from radar_shared.models import ApiToken, User

ROLES = ("admin", "user")
TOKEN_PREFIX = "radar_"


class AuthError(ValueError):
    """A user or token request that cannot be done; the message names the field."""


@dataclass(frozen=True)
class Actor:
    """Who is calling: a user through the API. The CLI acts as the operator (None), with full access."""

    user_id: int
    name: str
    admin: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(db: str, name: str, role: str = "user") -> User:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}", name):
        raise AuthError("name: 1–100 letters, digits, '.', '_', '-' or '@', starting with a letter or digit")
    if role not in ROLES:
        raise AuthError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    with session_scope(db) as s:
        if s.exec(select(User).where(User.name == name)).first():
            raise AuthError(f"name: user {name!r} already exists")
        user = User(name=name, role=role)
        s.add(user)
        s.flush()
        return user


def list_users(db: str) -> list[User]:
    with session_scope(db) as s:
        return list(s.exec(select(User).order_by(col(User.id))).all())


def create_token(db: str, user_name: str, name: str = "") -> tuple[int, str]:
    """A new token for the user: (token id, the token). The token itself is not stored and cannot be shown again."""
    with session_scope(db) as s:
        user = s.exec(select(User).where(User.name == user_name)).first()
        if user is None:
            raise AuthError(f"user: no user named {user_name!r}")
        if reason := text_refusal(name):
            raise AuthError(f"name: {reason}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(user_id=user.id, token_hash=hash_token(token), name=name[:100])  # type: ignore[arg-type]
        s.add(row)
        s.flush()
        return row.id, token  # type: ignore[return-value]


def revoke_token(db: str, token_id: int) -> None:
    with session_scope(db) as s:
        row = s.get(ApiToken, token_id)
        if row is None:
            raise AuthError(f"token: no token {token_id}")
        row.revoked_at = datetime.now(UTC)
        s.add(row)


def authenticate(db: str, token: str) -> Actor | None:
    """The actor a bearer token stands for, or None (unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with session_scope(db) as s:
        row = s.exec(select(ApiToken, User).join(User, col(User.id) == col(ApiToken.user_id)).where(ApiToken.token_hash == hash_token(token))).first()
        if row is None or row[0].revoked_at is not None:
            return None
        api_token, user = row
        return Actor(user.id, user.name, user.role == "admin")  # type: ignore[arg-type]
