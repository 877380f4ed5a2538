"""The server-rendered charts: shared scale, every bar labelled, everything escaped, and the data behind them."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from aiokafka import TopicPartition

from radar_api import service
from radar_api.auth import Actor
from radar_api.charts import bars_svg, day_labels, hour_labels
from radar_api.kafka_status import counts_between, hour_starts
from radar_shared.db import session_scope
from radar_shared.models import Delivery
from tests.support.owners import two_owners

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_share_one_scale_and_carry_their_values() -> None:
    svg = str(bars_svg({"dprk-sanctions": [0, 2, 4], "watch 1: <Rich Glory>": [1, 0, 0]}, ["d1", "d2", "d3"], "Alerts & more"))
    root = ET.fromstring(svg)  # well-formed XML, so the names are escaped
    bars = root.findall(f"{SVG}rect")
    assert [b.find(f"{SVG}title").text for b in bars] == ["dprk-sanctions · d2: 2", "dprk-sanctions · d3: 4", "watch 1: <Rich Glory> · d1: 1"]
    heights = [float(b.get("height")) for b in bars]
    assert heights == [10.0, 20.0, 5.0], "one scale for all rows: the tallest bar is the largest value of any row"
    assert root.get("role") == "img" and root.get("aria-label") == "Alerts & more"
    assert "style=" not in svg, "no inline styles: the page's CSP allows none"
    texts = [t.text for t in root.findall(f"{SVG}text")]
    assert "6" in texts and "1" in texts and texts[-2:] == ["d1", "d3"], "totals, and the first and last label"


def test_an_empty_chart_says_so() -> None:
    assert "nothing yet" in str(bars_svg({}, ["d1"], "Alerts"))


def test_labels_end_now() -> None:
    now = datetime(2026, 12, 1, 22, 40, tzinfo=UTC)
    assert day_labels(now, 3) == ["2026-11-29", "2026-11-30", "2026-12-01"]
    assert hour_labels(now, 2) == ["12-01 21:00", "12-01 22:00"]
    assert hour_starts(now.timestamp(), 2) == [datetime(2026, 12, 1, 21, tzinfo=UTC).timestamp(), datetime(2026, 12, 1, 22, tzinfo=UTC).timestamp()]


def test_hourly_counts_from_offsets() -> None:
    a, b = TopicPartition("t", 0), TopicPartition("t", 1)
    # first offsets at or after each hour's start; None: no message since then
    boundaries = [{a: 0, b: 10}, {a: 5, b: None}, {a: None, b: None}]
    assert counts_between(boundaries, {a: 7, b: 12}) == [5 + 2, 2, 0]


def test_alerts_per_day_by_tag_for_the_owner_only(sqlite_url: str) -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    with session_scope(sqlite_url) as s:
        owners = two_owners(s)
        mine, theirs = owners.alice_subscription, owners.bob_subscription
        rows = [(mine, ["dprk-sanctions", "watch:1"], now), (mine, ["dprk-sanctions"], now - timedelta(days=1)),
                (mine, ["dprk-sanctions"], now - timedelta(days=40)), (theirs, ["russia-dprk-smuggling"], now)]
        for n, (sub, tags, when) in enumerate(rows):
            s.add(Delivery(subscription_id=sub, story_id=f"s{n}", article_id=f"a{n}", status="sent", tags=tags, created_at=when))
    counts = service.alerts_per_day(sqlite_url, Actor(owners.alice, "alice", False), 30, now)
    assert counts == {"dprk-sanctions": {"2026-12-01": 1, "2026-11-30": 1}, "watch:1": {"2026-12-01": 1}}


def test_hostile_names_leave_the_svg_well_formed() -> None:
    hostile = "Coal\ufffe ship\uffff \ud800left\udfff Nampo\x00\x01\x1f"  # every kind of character that XML 1.0 forbids
    root = ET.fromstring(str(bars_svg({hostile: [1, 2]}, [hostile, "d2"], hostile)))  # raises on any forbidden character
    assert root.get("aria-label") == "Coal ship left Nampo"
    assert [t.text for t in root.findall(f"{SVG}text")][0] == "Coal ship left Nampo"
