"""Signed, expiring, single-use feedback links (pure): "relevant / not relevant" on an alert, from an email or a
Slack message, with no sign-in.

A token is `<claims>.<signature>`: the claims (delivery, user, vote, expiry, nonce) in URL-safe base64 JSON, signed
with HMAC-SHA256 under FEEDBACK_SECRET, which the notifier (that writes links) and the control plane (that reads
them) share. Nobody without the secret can forge a vote or change one; an expired token is refused; the control
plane records each nonce once, so a link counts once however often it is opened.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

VOTES = ("relevant", "not_relevant")
MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger one would fail in the database, not here


class FeedbackTokenError(ValueError):
    """A feedback link that cannot be used; the message says why (forged, expired, malformed)."""


@dataclass(frozen=True)
class FeedbackClaims:
    delivery_id: int
    user_id: int | None
    vote: str
    expires_at: datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode("utf-8", "surrogatepass"), hashlib.sha256).digest())


def sign_vote(secret: str, delivery_id: int, user_id: int | None, vote: str, now: datetime, days: float) -> str:
    if vote not in VOTES:
        raise ValueError(f"vote: {vote!r} is not one of {', '.join(VOTES)}")
    claims = {"d": delivery_id, "u": user_id, "v": vote, "e": int((now + timedelta(days=days)).timestamp()), "n": secrets.token_urlsafe(12)}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_signature(secret, body)}"


def _id(value: object) -> int:
    number = int(value)  # type: ignore[call-overload]
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"id {number} out of range")
    return number


def _nonce(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise ValueError("nonce: 1-64 URL-safe characters")
    return value


def verify_vote(secret: str, token: str, now: datetime) -> FeedbackClaims:
    """The claims of a valid token; FeedbackTokenError for a forged, altered, malformed or expired one."""
    body, _, signature = token.partition(".")
    # compared as bytes: a link can carry any text (`%C3%A9`), and compare_digest takes ASCII strings only
    if not body or not signature or not hmac.compare_digest(signature.encode("utf-8", "surrogatepass"), _signature(secret, body).encode()):
        raise FeedbackTokenError("feedback link: the signature does not match (the link was altered or not made by this Radar)")
    try:
        claims = json.loads(_unb64(body))
        parsed = FeedbackClaims(_id(claims["d"]), None if claims["u"] is None else _id(claims["u"]), str(claims["v"]),
                                datetime.fromtimestamp(int(claims["e"]), UTC), _nonce(claims["n"]))
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as error:  # OverflowError, OSError: an expiry past year 9999
        raise FeedbackTokenError(f"feedback link: malformed ({type(error).__name__})") from None
    if parsed.vote not in VOTES:
        raise FeedbackTokenError(f"feedback link: unknown vote {parsed.vote!r}")
    if parsed.expires_at < now:
        raise FeedbackTokenError(f"feedback link: expired on {parsed.expires_at:%Y-%m-%d %H:%M} UTC")
    return parsed
