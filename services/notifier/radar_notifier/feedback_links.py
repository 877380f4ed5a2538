"""The signed "relevant / not relevant" links of an alert (radar_shared.feedback); the control plane checks them."""

from dataclasses import dataclass
from datetime import datetime

from radar_notifier.render import FeedbackLinks
from radar_shared.feedback import VOTES, sign_vote


@dataclass(frozen=True)
class FeedbackSigner:
    """Signs one delivery's links; they stay valid for `days`."""

    secret: str
    public_url: str
    days: float

    def links(self, delivery_id: int, now: datetime) -> FeedbackLinks:
        base = self.public_url.rstrip("/")
        return FeedbackLinks(*(f"{base}/feedback/{sign_vote(self.secret, delivery_id, None, vote, now, self.days)}" for vote in VOTES))
