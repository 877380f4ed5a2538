"""Cleared watchlist entries: an analyst clears an entry (or one alias of it) and a new alert tagged only by it no
longer reaches that analyst's subscriptions, while it still reaches everyone else's; once the entry changes on
the list, it alerts again. Through the stored rows the notifier loads (store.load_subscriptions) and fan_out, the
REST API under /v1/me and the CLI."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from radar_api import auth, service
from radar_api.app import create_app
from radar_api.cli import main
from radar_api.config import ApiSettings
from radar_classifier.listformats import read_ofac_sdn
from radar_notifier.fanout import fan_out
from radar_notifier.routing import SubscriptionView, matching_tags, uncleared
from radar_notifier.store import load_subscriptions
from radar_shared.db import session_scope
from radar_shared.messages import AlertRecord, Article, ArticleClassified, Match, Tag
from radar_shared.models import Channel, Delivery, Subscription
from tests.support.sinks import free_port

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
FIXTURES = Path(__file__).parents[2] / "fixtures" / "watchlists"


def sdn(extra_remark: str = "") -> list:  # type: ignore[type-arg]
    data = (FIXTURES / "sdn-cp1252.csv").read_bytes()
    if extra_remark:  # the list's next edition: OFAC adds an alias to TESTLINE SHIPPING CO
        data = data.replace(b"f.k.a. 'ABU-'UMAR TRADING'.", f"f.k.a. 'ABU-'UMAR TRADING'; {extra_remark}.".encode())
    return read_ofac_sdn(data, "sdn", (FIXTURES / "alt.csv").read_bytes()).entities


def event(n: int, *matches: tuple[str, str]) -> ArticleClassified:
    article = Article(article_id=f"a{n}", story_id=f"s{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                      url=f"https://news.example/{n}", title=f"Title {n}", text="", summary_html="")
    tag = Tag(tag="watchlist:sdn", kind="watchlist", score=0.95, matched=[Match(term=name, group=name, entity_id=e, listed_name=name) for e, name in matches])
    return ArticleClassified(article=article, tags=[tag], classifier_version="rules:test", discovered_at=NOW)


def reached(db: str, *matches: tuple[str, str], n: int = 1) -> set[int]:
    """The subscription ids a new article tagged by `matches` reaches, as the notifier would route it now."""
    return {sub_id for deliveries in fan_out([event(n, *matches)], load_subscriptions(db), NOW).articles for sub_id, *_ in deliveries.items}


@pytest.fixture
def users(sqlite_url: str) -> tuple[int, int, int, int]:
    """alice and bob, each with a subscription to watchlist:sdn: (alice's id, bob's id, alice's sub, bob's sub)."""
    service.import_watchlist(sqlite_url, sdn(), "sdn")
    ids = [auth.add_user(sqlite_url, name).id for name in ("alice", "bob")]
    subs = []
    with session_scope(sqlite_url) as s:
        for user_id in ids:
            channel = Channel(url=f"slack://T0/B0/{user_id}secretwebhooktoken00000", kind="slack", owner_id=user_id)
            s.add(channel)
            s.flush()
            sub = Subscription(owner_id=user_id, channel_id=channel.id, topics=["watchlist:sdn"])  # type: ignore[arg-type]
            s.add(sub)
            s.flush()
            subs.append(sub.id)
    return ids[0], ids[1], subs[0], subs[1]  # type: ignore[return-value]


def test_a_cleared_entry_stops_alerting_its_analyst_until_it_changes(sqlite_url: str, users: tuple[int, int, int, int]) -> None:
    alice, _bob, alice_sub, bob_sub = users
    company = ("37002", "TESTLINE SHIPPING CO")
    assert reached(sqlite_url, company) == {alice_sub, bob_sub}

    service.clear_entry(sqlite_url, alice, "sdn", "37002")
    assert reached(sqlite_url, company) == {bob_sub}  # alice cleared it; bob did not
    assert reached(sqlite_url, company, ("37001", "SONGBAEK TESTSHIP")) == {alice_sub, bob_sub}  # another entry still alerts her
    service.import_watchlist(sqlite_url, sdn(), "sdn")  # the same edition again: the clear holds
    assert reached(sqlite_url, company) == {bob_sub}

    service.import_watchlist(sqlite_url, sdn("a.k.a. 'TSC GLOBAL'"), "sdn")  # the entry changed on the list
    assert reached(sqlite_url, company) == {alice_sub, bob_sub}
    assert [(c.entity_id, c.active) for c in service.list_clears(sqlite_url, alice)] == [("37002", False)]


def test_a_cleared_alias_leaves_the_entrys_other_names(sqlite_url: str, users: tuple[int, int, int, int]) -> None:
    alice, _bob, alice_sub, bob_sub = users
    service.clear_entry(sqlite_url, alice, "sdn", "37002", alias="TSC")
    assert reached(sqlite_url, ("37002", "TSC")) == {bob_sub}
    assert reached(sqlite_url, ("37002", "TESTLINE MARITIME")) == {alice_sub, bob_sub}


def test_clear_refusals_name_the_field(sqlite_url: str, users: tuple[int, int, int, int]) -> None:
    alice = users[0]
    with pytest.raises(service.NotFoundError, match="watchlist entry sdn/99999 does not exist"):
        service.clear_entry(sqlite_url, alice, "sdn", "99999")
    with pytest.raises(service.ConfigError, match="alias: 'NOBODY' is not a name of sdn/37002"):
        service.clear_entry(sqlite_url, alice, "sdn", "37002", alias="NOBODY")


def test_uncleared_keeps_other_tags_and_matches_without_entry_ids() -> None:
    cleared = frozenset({("sdn", "37002", "")})
    topic = Tag(tag="dprk-sanctions", score=0.9)
    legacy = Tag(tag="watchlist:sdn", kind="watchlist", score=0.9, matched=[Match(term="x", group="x")])
    both = event(1, ("37002", "TESTLINE SHIPPING CO"), ("37001", "SONGBAEK TESTSHIP")).tags[0]
    assert uncleared(topic, cleared) is topic and uncleared(legacy, cleared) is legacy
    assert [m.entity_id for m in uncleared(both, cleared).matched] == ["37001"]  # type: ignore[union-attr]
    sub = SubscriptionView(1, "mailto://a.example", ("watchlist:sdn",), (), cleared=cleared)
    assert matching_tags(sub, event(2, ("37002", "TESTLINE SHIPPING CO")).tags) == []


def test_rest_clears_are_the_users_own(sqlite_url: str, users: tuple[int, int, int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    a = {"Authorization": f"Bearer {auth.create_token(sqlite_url, 'alice')[1]}"}
    b = {"Authorization": f"Bearer {auth.create_token(sqlite_url, 'bob')[1]}"}
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=1000))) as api:
        made = api.post("/v1/me/watchlist-clears", json={"list": "sdn", "entity_id": "37002"}, headers=a)
        assert made.status_code == 201, made.text
        assert made.json()["name"] == "TESTLINE SHIPPING CO" and made.json()["active"] is True
        assert [c["entity_id"] for c in api.get("/v1/me/watchlist-clears", headers=a).json()] == ["37002"]
        assert api.get("/v1/me/watchlist-clears", headers=b).json() == []
        assert api.post("/v1/me/watchlist-clears", json={"list": "sdn", "entity_id": "nope"}, headers=a).status_code == 404
        assert api.post("/v1/me/watchlist-clears", json={"list": "sdn", "entity_id": "37002", "alias": "NOBODY"}, headers=a).status_code == 400
        assert api.delete(f"/v1/me/watchlist-clears/{made.json()['id']}", headers=b).status_code == 404
        assert reached(sqlite_url, ("37002", "TESTLINE SHIPPING CO")) == {users[3]}
        assert api.delete(f"/v1/me/watchlist-clears/{made.json()['id']}", headers=a).status_code == 204
        assert reached(sqlite_url, ("37002", "TESTLINE SHIPPING CO")) == {users[2], users[3]}


def test_cli_clear_clears_unclear(sqlite_url: str, users: tuple[int, int, int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    made = CliRunner().invoke(main, ["watchlists", "clear", "sdn", "37002", "--alias", "TSC", "--user", "alice"])
    assert made.exit_code == 0 and "alias 'TSC' of sdn/37002 (TESTLINE SHIPPING CO) no longer alerts alice" in made.output
    listed = CliRunner().invoke(main, ["watchlists", "clears", "--user", "alice"]).output
    assert "sdn/37002 alias 'TSC'" in listed and "active" in listed
    assert CliRunner().invoke(main, ["watchlists", "clear", "sdn", "37002", "--user", "carol"]).exit_code == 2
    assert CliRunner().invoke(main, ["watchlists", "unclear", "1", "--user", "bob"]).exit_code == 2  # not bob's
    assert CliRunner().invoke(main, ["watchlists", "unclear", "1", "--user", "alice"]).exit_code == 0
    assert CliRunner().invoke(main, ["watchlists", "clears", "--user", "alice"]).output == ""


def test_the_alert_page_offers_the_clear(sqlite_url: str, users: tuple[int, int, int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    alert = event(1, ("37002", "TSC"))
    with session_scope(sqlite_url) as s:
        s.add(Delivery(subscription_id=users[2], story_id="s1", article_id="a1", status="sent", title="Title 1", tags=["watchlist:sdn"], sent_at=NOW,
                       alert=AlertRecord.of(alert, alert.tags).stored()))
    with TestClient(create_app(sqlite_url, ApiSettings()), headers={"Origin": "http://testserver"}) as web:
        assert web.post("/signin", data={"token": auth.create_token(sqlite_url, "alice")[1]}, follow_redirects=False).status_code == 303
        page = web.get("/alerts").text
        assert 'action="/alerts/clear"' in page and 'name="entity_id" value="37002"' in page and 'name="alias" value="TSC"' in page
        done = web.post("/alerts/clear", data={"list": "sdn", "entity_id": "37002", "alias": "TSC"}, follow_redirects=False)
        assert done.status_code == 303 and "cleared" in done.headers["location"]
        refused = web.post("/alerts/clear", data={"list": "sdn", "entity_id": "nope"}, follow_redirects=False)
        assert "error=" in refused.headers["location"]
    assert reached(sqlite_url, ("37002", "TSC")) == {users[3]}
