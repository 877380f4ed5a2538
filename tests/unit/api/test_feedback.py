"""Feedback that measures precision: signed, expiring, single-use links; votes once per delivery and person;
precision per topic and watch; the voted articles exported as labelled data."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from radar_api import auth, feedback
from radar_api.app import create_app
from radar_api.cli import main
from radar_api.config import ApiSettings
from radar_classifier.evaluate import read_corpus
from radar_notifier.deliver import FeedbackSigner
from radar_notifier.render import render_alert, with_feedback
from radar_shared.db import session_scope
from radar_shared.feedback import FeedbackTokenError, sign_vote, verify_vote
from radar_shared.messages import AlertRecord, Article, Snippet, Span, Tag
from radar_shared.models import Delivery, FeedbackVote
from radar_shared.settings import DEVELOPMENT_FEEDBACK_SECRET, FeedbackSettings
from tests.support.owners import two_owners
from tests.support.sinks import free_port

SECRET = "test-feedback-secret"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_links_are_signed_expiring_and_unforgeable() -> None:
    token = sign_vote(SECRET, 7, None, "relevant", NOW, days=14)
    claims = verify_vote(SECRET, token, NOW + timedelta(days=13))
    assert (claims.delivery_id, claims.vote) == (7, "relevant")
    with pytest.raises(FeedbackTokenError, match="expired"):
        verify_vote(SECRET, token, NOW + timedelta(days=15))
    with pytest.raises(FeedbackTokenError, match="signature does not match"):
        verify_vote("another-secret", token, NOW)
    body, signature = token.split(".")
    forged = sign_vote(SECRET, 7, None, "not_relevant", NOW, days=14).split(".")[0] + "." + signature  # a vote swapped under the old signature
    with pytest.raises(FeedbackTokenError, match="signature does not match"):
        verify_vote(SECRET, forged, NOW)
    with pytest.raises(FeedbackTokenError):
        verify_vote(SECRET, "garbage", NOW)


def test_without_a_secret_each_installation_makes_its_own_and_keeps_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEEDBACK_SECRET", raising=False)
    monkeypatch.setenv("FEEDBACK_SECRET_FILE", str(tmp_path / "one" / "feedback-secret"))
    first = FeedbackSettings().checked_secret("development")
    assert len(first.encode()) >= 32 and first != DEVELOPMENT_FEEDBACK_SECRET
    assert (tmp_path / "one" / "feedback-secret").stat().st_mode & 0o777 == 0o600
    assert FeedbackSettings().checked_secret("test") == first, "a restart (and the other process) reads the same secret"
    monkeypatch.setenv("FEEDBACK_SECRET_FILE", str(tmp_path / "two" / "feedback-secret"))
    assert FeedbackSettings().checked_secret("development") != first, "another installation, another secret"


def test_processes_starting_at_once_agree_on_one_secret(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from radar_shared.local_secret import installation_secret

    with ThreadPoolExecutor(8) as pool:
        made = set(pool.map(lambda _: installation_secret(tmp_path / "feedback-secret"), range(32)))
    assert len(made) == 1 and [p.name for p in tmp_path.iterdir()] == ["feedback-secret"], "no temporary file is left behind"


@pytest.mark.parametrize(("secret", "error"), [
    ("", "production needs a secret of at least 32 bytes (none is set"), ("x", "(it has 1;"), ("s" * 31, "(it has 31;"),
    (DEVELOPMENT_FEEDBACK_SECRET, "former development default is public"),
])
def test_production_refuses_to_start_without_a_secret_of_32_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str, error: str) -> None:
    monkeypatch.setenv("FEEDBACK_SECRET", secret)
    monkeypatch.setenv("FEEDBACK_SECRET_FILE", str(tmp_path / "feedback-secret"))
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    with pytest.raises(ValueError, match=re.escape(error)):
        create_app(f"sqlite:///{tmp_path / 'radar.db'}", ApiSettings())
    assert not (tmp_path / "feedback-secret").exists(), "production never makes a secret of its own"
    monkeypatch.setenv("FEEDBACK_SECRET", "s" * 32)
    assert FeedbackSettings().checked_secret("production") == "s" * 32


def test_the_public_development_secret_signs_nothing_in_make_run(sqlite_url: str, tmp_path: Path, alerts: dict[str, int],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`make run` and `make demo` set no FEEDBACK_SECRET: links signed with the public key of earlier versions
    are refused; links signed with the installation's own secret (what the notifier, reading the same file, signs) work."""
    monkeypatch.delenv("FEEDBACK_SECRET", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.setenv("FEEDBACK_SECRET_FILE", str(tmp_path / "run" / "feedback-secret"))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=1000)), headers={"Origin": "http://testserver"}) as web:
        public = web.get(f"/feedback/{sign_vote(DEVELOPMENT_FEEDBACK_SECRET, alerts['a1'], None, 'relevant', datetime.now(UTC), 14)}")
        assert public.status_code == 400 and "signature does not match" in public.text
        own = (tmp_path / "run" / "feedback-secret").read_text().strip()
        assert web.get(f"/feedback/{sign_vote(own, alerts['a1'], None, 'relevant', datetime.now(UTC), 14)}").status_code == 200


def test_alerts_carry_the_links_in_email_and_slack() -> None:
    article = Article(article_id="a", story_id="s", feed_id=1, feed_url="https://f.example/rss", entry_key="k", url="https://news.example/a", title="Tanker seized")
    tag = Tag(tag="dprk-sanctions", score=0.9, snippets=[Snippet(text="Tanker seized near Nampo.", highlights=[Span(start=0, end=6)])])
    links = FeedbackSigner(SECRET, "https://radar.example.org/", 14).links(42, NOW)
    assert links.relevant.startswith("https://radar.example.org/feedback/") and links.relevant != links.not_relevant
    assert verify_vote(SECRET, links.not_relevant.rsplit("/", 1)[1], NOW).vote == "not_relevant"
    alert = with_feedback(render_alert(article, [tag]), links)
    assert links.relevant in alert.text and f'href="{links.not_relevant}"' in alert.html and alert.html.rstrip().endswith("</body></html>")
    assert links.relevant in json.dumps(alert.slack) and alert.slack["blocks"][-1]["type"] == "context"


@pytest.fixture
def alerts(sqlite_url: str) -> dict[str, int]:
    """Alice's three alerts (two on dprk-sanctions, one on a watch) and Bob's one."""
    with session_scope(sqlite_url) as s:
        owners = two_owners(s)
        ids = {}
        for name, sub, tags, text, sent in [
            ("a1", owners.alice_subscription, ["dprk-sanctions"], "UN sanctions on North Korean tankers.", NOW - timedelta(days=1)),
            ("a2", owners.alice_subscription, ["dprk-sanctions", "russia-dprk-smuggling"], "Russia shipped oil to North Korea.", NOW - timedelta(days=10)),
            ("a3", owners.alice_subscription, ["watch:1"], "Rich Glory seen.", NOW - timedelta(days=2)),
            ("b1", owners.bob_subscription, ["dprk-sanctions"], "Bob's story.", NOW - timedelta(days=1)),
        ]:
            article = Article(article_id=f"{name}-article", story_id=f"s-{name}", feed_id=1, feed_url="https://news.example/rss", entry_key=name,
                              url=f"https://news.example/{name}", title=f"Story {name}", text=text, lang="en", published_at=datetime(2026, 11, 30, tzinfo=UTC))
            record = AlertRecord(article=article, tags=[Tag(tag=t, score=0.9, snippets=[Snippet(text=text)]) for t in tags])
            d = Delivery(subscription_id=sub, story_id=f"s-{name}", article_id=f"{name}-article", status="sent", title=f"Story {name}", tags=tags, sent_at=sent,
                         alert=record.stored())  # as the notifier stores it: the evidence, not the article's text
            s.add(d)
            s.flush()
            ids[name] = d.id
        ids["alice"], ids["bob"] = owners.alice, owners.bob
    return ids


def test_a_link_counts_once_and_only_with_a_click(sqlite_url: str, alerts: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("FEEDBACK_SECRET", SECRET)
    token = sign_vote(SECRET, alerts["a1"], None, "relevant", datetime.now(UTC), 14)
    with TestClient(create_app(sqlite_url, ApiSettings()), headers={"Origin": "http://testserver"}) as web:
        page = web.get(f"/feedback/{token}")
        assert page.status_code == 200 and "Mark it relevant" in page.text and "Story a1" in page.text
        with session_scope(sqlite_url) as s:
            assert s.query(FeedbackVote).count() == 0, "opening the link (a mail scanner, a preview) does not vote"
        assert "noted as <strong>relevant</strong>" in web.post(f"/feedback/{token}").text
        again = web.post(f"/feedback/{token}")
        assert again.status_code == 400 and "already used" in again.text
        assert "already used" in web.get(f"/feedback/{token}").text
        forged = web.get(f"/feedback/{sign_vote('not-the-secret', alerts['a1'], None, 'relevant', datetime.now(UTC), 14)}")
        assert forged.status_code == 400 and "signature does not match" in forged.text
        expired = web.get(f"/feedback/{sign_vote(SECRET, alerts['a1'], None, 'relevant', datetime.now(UTC) - timedelta(days=30), 14)}")
        assert expired.status_code == 400 and "expired" in expired.text
    with session_scope(sqlite_url) as s:
        [vote] = s.query(FeedbackVote).all()
        assert (vote.delivery_id, vote.user_id, vote.vote, vote.via) == (alerts["a1"], alerts["alice"], "relevant", "link"), "the subscription's owner votes"


def test_votes_on_the_web_page_are_one_per_person_and_own_alerts_only(sqlite_url: str, alerts: dict[str, int]) -> None:
    alice, bob = auth.Actor(alerts["alice"], "alice", False), auth.Actor(alerts["bob"], "bob", False)
    feedback.vote(sqlite_url, alerts["a2"], "relevant", alice)
    feedback.vote(sqlite_url, alerts["a2"], "not_relevant", alice)  # a change of mind replaces the vote
    assert feedback.votes_of(sqlite_url, alice, [alerts["a2"]]) == {alerts["a2"]: "not_relevant"}
    with pytest.raises(Exception, match=f"alert {alerts['a2']} does not exist"):
        feedback.vote(sqlite_url, alerts["a2"], "relevant", bob)
    with pytest.raises(feedback.FeedbackError, match="vote: 'maybe'"):
        feedback.vote(sqlite_url, alerts["a1"], "maybe", alice)


def test_precision_per_topic_and_watch_over_7_and_30_days(sqlite_url: str, alerts: dict[str, int]) -> None:
    alice = auth.Actor(alerts["alice"], "alice", False)
    feedback.vote(sqlite_url, alerts["a1"], "relevant", alice)
    feedback.vote(sqlite_url, alerts["a2"], "not_relevant", alice)
    feedback.vote(sqlite_url, alerts["a3"], "relevant", alice)
    rows = {(r.tag, r.days): (r.alerts, r.voted, r.relevant, r.precision) for r in feedback.precision_by_tag(sqlite_url, now=NOW)}
    assert rows[("dprk-sanctions", 7)] == (2, 1, 1, 1.0), "a1 and b1 (unvoted) in 7 days"
    assert rows[("dprk-sanctions", 30)] == (3, 2, 1, 0.5)
    assert rows[("russia-dprk-smuggling", 30)] == (1, 1, 0, 0.0) and ("russia-dprk-smuggling", 7) not in rows
    assert rows[("watch:1", 7)] == (1, 1, 1, 1.0)


def test_export_is_a_corpus_that_radar_eval_reads(sqlite_url: str, alerts: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    alice = auth.Actor(alerts["alice"], "alice", False)
    feedback.vote(sqlite_url, alerts["a1"], "relevant", alice)
    feedback.vote(sqlite_url, alerts["a2"], "not_relevant", alice)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    out = CliRunner().invoke(main, ["feedback", "export"])
    assert out.exit_code == 0, out.output
    items = {i["title"]: i for i in read_corpus(out.output.splitlines())}
    assert items["Story a1"]["dprk_sanctions"] is True and items["Story a1"]["text"] == "UN sanctions on North Korean tankers.", "the evidence stands for the text"
    assert items["Story a1"]["date"] == "2026-11-30" and items["Story a1"]["source"] == "https://news.example/a1"
    assert items["Story a2"]["dprk_sanctions"] is False and items["Story a2"]["russia_dprk_smuggling"] is False
    assert "from votes (0 relevant, 1 not)" in items["Story a2"]["note"]
    stats = CliRunner().invoke(main, ["topics", "stats"])
    assert stats.exit_code == 0 and "dprk-sanctions" in stats.output


def test_each_story_of_a_digest_has_its_own_links() -> None:
    from radar_notifier.render import DigestItem, render_digest

    signer = FeedbackSigner(SECRET, "https://radar.example.org", 14)
    article = Article(article_id="a", story_id="s", feed_id=1, feed_url="https://f.example/rss", entry_key="k", url="https://news.example/a", title="Tanker seized")
    items = [DigestItem(article, [Tag(tag="dprk-sanctions", score=0.9)], [], signer.links(d, NOW)) for d in (5, 6)]
    digest = render_digest(items, "daily")
    for item in items:
        assert item.feedback.relevant in digest.text and item.feedback.not_relevant in digest.html and item.feedback.relevant in json.dumps(digest.slack)
    assert {verify_vote(SECRET, i.feedback.relevant.rsplit("/", 1)[1], NOW).delivery_id for i in items} == {5, 6}


def test_each_of_an_alert_s_two_links_counts_once_ever(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relevant, not relevant, relevant, not relevant: the second vote replaces the first, but neither link
    counts again once used (the vote row's nonce used to be overwritten, so the first link worked again)."""
    with session_scope(database_url) as s:
        owners = two_owners(s)
        d = Delivery(subscription_id=owners.alice_subscription, story_id="s", article_id="a", status="sent", title="Story", tags=["dprk-sanctions"])
        s.add(d)
        s.flush()
        delivery_id = d.id
    relevant = sign_vote(SECRET, delivery_id, None, "relevant", datetime.now(UTC), 14)  # type: ignore[arg-type]
    not_relevant = sign_vote(SECRET, delivery_id, None, "not_relevant", datetime.now(UTC), 14)  # type: ignore[arg-type]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("FEEDBACK_SECRET", SECRET)
    with TestClient(create_app(database_url, ApiSettings(rate_limit_per_minute=1000)), headers={"Origin": "http://testserver"}) as web:
        answers = [web.post(f"/feedback/{link}") for link in (relevant, not_relevant, relevant, not_relevant)]
    assert [a.status_code for a in answers] == [200, 200, 400, 400]
    assert all("already used" in a.text for a in answers[2:])
    with session_scope(database_url) as s:
        [vote] = s.query(FeedbackVote).all()
        assert vote.vote == "not_relevant", "the second link's vote stands; the replays changed nothing"


def _signed(claims: object) -> str:
    """A token with any claims, signed with SECRET: what someone holding the secret (or a bug) could make."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    body = b64(json.dumps(claims).encode())
    return f"{body}.{b64(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest())}"


@pytest.mark.parametrize(
    ("token", "reason"),
    [("abc.%C3%A9", "signature does not match"), ("%C3%A9.abc", "signature does not match"),
     (_signed({"d": 1, "u": None, "v": "relevant", "e": 10**20, "n": "n1"}), "malformed"),
     (_signed({"d": 1, "u": None, "v": "relevant", "e": -(10**20), "n": "n1"}), "malformed"),
     (_signed({"d": 10**30, "u": None, "v": "relevant", "e": 2_000_000_000, "n": "n1"}), "malformed"),
     (_signed({"d": 1, "u": None, "v": "relevant", "e": 2_000_000_000, "n": "x" * 65}), "malformed"),
     (_signed({"d": 1, "u": None, "v": "relevant", "e": 2_000_000_000, "n": "a\x00b"}), "malformed"),
     (_signed([1, 2]), "malformed")],
)
def test_hostile_links_are_a_400_not_a_500(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, token: str, reason: str) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("FEEDBACK_SECRET", SECRET)
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=1000)), headers={"Origin": "http://testserver"}) as web:
        for answer in (web.get(f"/feedback/{token}"), web.post(f"/feedback/{token}")):
            assert answer.status_code == 400 and reason in answer.text, answer.text
