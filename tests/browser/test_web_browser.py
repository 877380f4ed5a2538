"""The web page in a real browser (Debian's chromium driven by Playwright), against the real pipeline: Kafka,
feed-watcher, classifier, notifier and the API as processes, a feed server, an SMTP server and a Slack stand-in.

The tests keep a screenshot of each main page in docs/screenshots/.
"""

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from radar_api import auth, service
from tests.conftest import KafkaBroker
from tests.support.feeds import rss
from tests.support.notifier import local_rules
from tests.support.services import ServiceProcess, service_env, wait_for
from tests.support.sinks import FeedServer, HTTPSink, SMTPSink

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTICLE = {"title": "Tanker Rich Glory spotted off Vladivostok", "link": "https://news.example/rich-glory",
           "text": "Port records show the Rich Glory loading coal bound for Nampo, North Korea, this week."}




class Radar:
    def __init__(self, db: str, api: ServiceProcess, smtp: SMTPSink, slack: HTTPSink, feeds: FeedServer) -> None:
        self.db, self.api, self.smtp, self.slack, self.feeds = db, api, smtp, slack, feeds


@pytest.fixture(scope="module")
def radar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radar]:
    work = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{work / 'radar.db'}"
    from radar_shared.db import upgrade

    upgrade(db)
    kafka = KafkaBroker(tmp_path_factory.mktemp("kafka")).start()
    smtp, slack, feeds = SMTPSink().start(), HTTPSink().start(), FeedServer().start()
    env = service_env(db, kafka.bootstrap, NOTIFIER_SLACK_WEBHOOK_URL=f"{slack.url}/services", NOTIFIER_SEND_ATTEMPTS="1",
                      FEED_WATCHER_POLL_INTERVAL_SECONDS="2", FEED_WATCHER_MIN_INTERVAL_SECONDS="1",
                      API_EMAIL_CHANNEL_URL=f"mailto://127.0.0.1:{smtp.port}?from=radar@example.org")
    procs = [ServiceProcess(name, env, work / f"{name}.log").start() for name in ("feed-watcher", "classifier", "notifier", "api")]
    try:
        yield Radar(db, procs[-1], smtp, slack, feeds)
    finally:
        for p in procs:
            p.stop()
        smtp.stop()
        slack.stop()
        feeds.stop()
        kafka.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def sign_in(browser: Browser, radar: Radar, name: str, role: str = "user") -> Page:
    auth.add_user(radar.db, name, role)
    token = auth.create_token(radar.db, name)[1]
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{radar.api.url}/signin")
    page.screenshot(path=str(SHOTS / "signin.png"))
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My alerts")).to_be_visible()
    return page


def test_a_new_user_subscribes_a_watch_and_sees_the_alert(browser: Browser, radar: Radar) -> None:
    page = sign_in(browser, radar, "alice")

    page.get_by_role("link", name="Watches").click()
    query = page.get_by_label("Query")
    query.fill('"Sky Morning" OR (')
    expect(page.locator("#query-check")).to_contain_text("query:")  # inline validation names the problem
    query.fill('"Sky Morning" OR "Rich Glory"')
    expect(page.locator("#query-check")).to_have_text("Query is valid.")
    page.get_by_label("Name (optional)").fill("Tankers")
    page.get_by_role("button", name="Add watch").click()
    expect(page.get_by_role("status")).to_contain_text("watch 1 added")
    page.get_by_role("button", name="Preview").first.click()
    expect(page.get_by_role("heading", name="Preview:")).to_be_visible()

    page.get_by_role("link", name="Subscriptions").click()
    page.get_by_label("Slack webhook").check()
    page.get_by_label("Address, webhook URL or Apprise URL").fill("https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/radarbrowsertestwebhook")
    page.get_by_label("watch 1: Tankers").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("status")).to_contain_text("subscription 1 added")
    expect(page.locator("main")).not_to_contain_text("radarbrowsertestwebhook")  # the secret is shown masked
    page.screenshot(path=str(SHOTS / "subscriptions.png"), full_page=True)

    time.sleep(2)  # the services re-read configuration every second in tests
    radar.feeds.feeds["/tankers.xml"] = rss([ARTICLE], "Shipping news")
    feed = service.add_feed(radar.db, radar.feeds.url("/tankers.xml"), "Shipping news", allowed_networks=["127.0.0.0/8:1024-65535"])
    wait_for(lambda: any("Rich Glory" in str(p["json"]) for p in radar.slack.snapshot()), 90, "the alert on Slack")
    [post] = radar.slack.snapshot()
    assert post["path"] == "/services/T0AAAAAAA/B0BBBBBBB/radarbrowsertestwebhook"

    page.get_by_role("link", name="My alerts").click()
    alert = page.locator("article").filter(has_text=ARTICLE["title"])
    expect(alert).to_be_visible()
    expect(alert.locator("mark").first).to_have_text("Rich Glory")  # the evidence, highlighted
    expect(alert.get_by_role("link", name=ARTICLE["title"])).to_have_attribute("href", ARTICLE["link"])
    chart = page.get_by_role("img", name="Alerts per day over 30 days, by topic and watch")  # server-rendered SVG, drawn by Chromium
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(1)  # today's alert, in the watch's row
    expect(chart).to_contain_text("watch 1: Tankers")  # the watch, by its name
    assert chart.bounding_box()["width"] > 300  # type: ignore[index]
    page.screenshot(path=str(SHOTS / "alerts.png"), full_page=True)

    page.get_by_role("link", name="Watches").click()
    page.locator("form", has=page.locator("input[value='\"Sky Morning\" OR \"Rich Glory\"']")).get_by_role("button", name="Preview").click()
    expect(page.locator("section")).to_contain_text("would have matched")
    expect(page.locator("section")).to_contain_text(ARTICLE["title"])
    page.screenshot(path=str(SHOTS / "watches.png"), full_page=True)
    assert feed.id is not None
    page.close()


def test_an_operator_sees_a_failed_delivery_and_resends_it(browser: Browser, radar: Radar) -> None:
    smtp_port = radar.smtp.port
    radar.smtp.stop()  # the mail server is down
    watch = service.add_watch(radar.db, '"Nampo"', "Nampo")
    service.add_subscription(radar.db, f"mailto://127.0.0.1:{smtp_port}?to=desk@example.org&from=radar@example.org", [], [watch.id], 0.0, local_rules("mailto"))  # type: ignore[list-item]
    time.sleep(2)
    radar.feeds.feeds["/ports.xml"] = rss([{"title": "Coal ship leaves Nampo", "link": "https://news.example/nampo", "text": "A coal ship left Nampo for Russia."}])
    service.add_feed(radar.db, radar.feeds.url("/ports.xml"), "Ports", allowed_networks=["127.0.0.0/8:1024-65535"])
    wait_for(lambda: service.list_deliveries(radar.db, failed_only=True), 90, "the failed delivery")

    page = sign_in(browser, radar, "ops", "admin")
    page.get_by_role("link", name="Status").click()
    failed = page.locator(".card").filter(has_text="Coal ship leaves Nampo")
    expect(failed).to_contain_text("Connection error")
    expect(page.locator("table").first).to_contain_text("notifier")
    traffic = page.get_by_role("img", name="Messages per hour over 24 hours, by topic (UTC)")
    expect(traffic).to_be_visible()
    expect(traffic).to_contain_text("articles.discovered.v1")
    expect(traffic.locator("rect.bar").first).to_be_visible()  # this hour's messages
    page.screenshot(path=str(SHOTS / "status.png"), full_page=True)

    radar.smtp = SMTPSink(port=smtp_port).start()  # the mail server is back
    failed.get_by_role("button", name="Resend").click()
    expect(page.get_by_role("status")).to_contain_text("queued to send again")
    wait_for(lambda: any("Coal ship leaves Nampo" in m.subject for m in radar.smtp.snapshot()), 60, "the resent email")
    assert [m.rcpt_tos for m in radar.smtp.snapshot()] == [["desk@example.org"]]

    page.get_by_role("link", name="Feeds").click()
    expect(page.locator("table")).to_contain_text("/tankers.xml")
    expect(page.locator("table")).to_contain_text("ok")
    page.screenshot(path=str(SHOTS / "feeds.png"), full_page=True)
    page.close()
