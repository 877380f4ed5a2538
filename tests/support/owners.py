"""Two users, each with a subscription on one shared channel: the smallest world in which isolation between
users can be tested."""

from dataclasses import dataclass

from sqlmodel import Session

from radar_shared.models import Channel, Subscription, User


@dataclass(frozen=True)
class TwoOwners:
    alice: int
    bob: int
    alice_subscription: int
    bob_subscription: int


def two_owners(s: Session) -> TwoOwners:
    alice, bob = User(name="alice"), User(name="bob")
    s.add_all([alice, bob])
    s.flush()
    channel = Channel(url="slack://T0/B0/x", kind="slack")
    s.add(channel)
    s.flush()
    mine, theirs = Subscription(channel_id=channel.id, owner_id=alice.id), Subscription(channel_id=channel.id, owner_id=bob.id)
    s.add_all([mine, theirs])
    s.flush()
    return TwoOwners(alice.id, bob.id, mine.id, theirs.id)  # type: ignore[arg-type]
