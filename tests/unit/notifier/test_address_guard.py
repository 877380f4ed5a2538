"""The address policy at send time: whatever the database holds and whatever DNS answers, the notifier connects
only to allowed addresses, to the one it checked, and tells the user nothing a refused host said.

Only loopback may be reached on test machines. Where a test needs "a public address" that is really connected
to, the allow-list makes 127.0.0.1 play that part, and 127.0.0.2 is the address a rebinding DNS switches to.
Every test here also asserts, through `outside_connections`, that nothing tried to leave the machine.
"""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from radar_notifier.channels import Sender, configure_slack
from radar_notifier.render import render_alert
from radar_shared.channel_urls import ChannelRules
from radar_shared.db import session_scope
from radar_shared.messages import ArticleClassified
from radar_shared.models import Delivery
from tests.support.notifier import notifier_for, subscribe
from tests.support.sinks import ConnectionRecorder, HTTPSink, SMTPSink
from tests.unit.notifier.test_render import article, tag

PUBLIC = "93.184.216.34"
ALERT = render_alert(article("t"), [tag("x")])
ALL = ["mailto", "slack", "json", "ntfy", "matrix"]


class RebindingDNS:
    """Answers for one name, in turn (the last one repeats); every other name goes to the real resolver."""

    def __init__(self, name: str, answers: list[list[str]]) -> None:
        self.name, self.answers, self.lookups = name, answers, 0
        self.real = socket.getaddrinfo

    def __call__(self, host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        answer = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port or 0))) for ip in answer]


@pytest.fixture
def listener() -> Iterator[ConnectionRecorder]:
    recorder = ConnectionRecorder().start()
    yield recorder
    recorder.stop()


@pytest.mark.parametrize(
    "template",
    ["json://127.0.0.1:{port}/path?method=DELETE&+Authorization=Bearer%20x", "json://2130706433:{port}/", "json://0x7f000001:{port}/",
     "json://127.1:{port}/", "json://[::ffff:127.0.0.1]:{port}/", "json://localhost:{port}/",
     "mailto://127.0.0.1:{port}?to=a@example.org&from=radar@example.org", "mailto://example.org:{port}?smtp=127.0.0.1&to=a@example.org&from=radar@example.org",
     "matrix://u:p@127.0.0.1:{port}/!room", "ntfy://127.0.0.1:{port}/topic"],
)
async def test_a_stored_url_outside_the_policy_is_never_connected_to(template: str, listener: ConnectionRecorder, outside_connections: list) -> None:
    sender = Sender(ChannelRules.of(ALL))  # no allow-list: loopback is as forbidden as any intranet address
    try:
        result = await sender.send(template.format(port=listener.port), ALERT)
    finally:
        await sender.close()
    assert not result.ok and result.permanent
    [error] = result.errors
    assert error.startswith("channel: host ") and "not a public address" in error and "address policy" in error
    assert listener.accepted == 0 and outside_connections == []


@pytest.mark.parametrize("url", ["ntfy://169.254.169.254/latest", "jsons://192.168.1.1/", "mailto://10.0.0.25:25?to=a@example.org&from=radar@example.org"])
async def test_intranet_addresses_are_refused_before_any_connection(url: str, outside_connections: list) -> None:
    sender = Sender(ChannelRules.of([*ALL, "jsons"]))
    try:
        result = await sender.send(url, ALERT)
    finally:
        await sender.close()
    assert not result.ok and result.permanent and "not a public address" in result.errors[0]
    assert outside_connections == []


async def test_an_answer_with_any_refused_address_is_refused_before_connecting(monkeypatch: pytest.MonkeyPatch, listener: ConnectionRecorder,
                                                                              outside_connections: list) -> None:
    dns = RebindingDNS("rebind.test", [[PUBLIC, "127.0.0.1"]])  # a public address first, loopback second
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    sender = Sender(ChannelRules.of(ALL))
    try:
        result = await sender.send(f"json://rebind.test:{listener.port}/", ALERT)
    finally:
        await sender.close()
    assert dns.lookups == 1
    assert result.errors == ["channel: host rebind.test resolves to an address that is not a public address "
                             "(refused by the address policy; nothing was sent)"], "neither the address nor anything a host said"
    assert listener.accepted == 0 and outside_connections == [], "refused at the look-up: not even the public address was tried"


@pytest.mark.parametrize("kind", ["json", "mailto"])
async def test_rebinding_dns_cannot_move_a_send_to_a_refused_address(kind: str, monkeypatch: pytest.MonkeyPatch, outside_connections: list) -> None:
    http, smtp = HTTPSink().start(), SMTPSink().start()
    port = http.port if kind == "json" else smtp.port
    other = ConnectionRecorder("127.0.0.2", port).start()  # the same port on the address DNS switches to
    dns = RebindingDNS("rebind.test", [["127.0.0.1"], ["127.0.0.2"]])
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    url = f"json://rebind.test:{port}/" if kind == "json" else f"mailto://rebind.test:{port}?to=a@example.org&from=radar@example.org"
    sender = Sender(ChannelRules.of(ALL, ["127.0.0.1:1024-65535"]))  # 127.0.0.1 plays the public address
    try:
        first = await sender.send(url, ALERT)
        second = await sender.send(url, ALERT)
    finally:
        await sender.close()
        http.stop()
        smtp.stop()
        other.stop()
    assert first.ok, first.errors
    assert len(http.snapshot()) + len(smtp.snapshot()) == 1
    assert dns.lookups == 2, "one look-up per send, and the connection used it"
    assert not second.ok and "rebind.test resolves to an address that is not a public address" in second.errors[0]
    assert other.accepted == 0 and outside_connections == []


async def test_slack_webhooks_are_posted_to_the_checked_address(monkeypatch: pytest.MonkeyPatch, outside_connections: list) -> None:
    slack = HTTPSink().start()
    other = ConnectionRecorder("127.0.0.2", slack.port).start()
    dns = RebindingDNS("hooks.rebind.test", [["127.0.0.1"], ["127.0.0.2"]])
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    configure_slack(f"http://hooks.rebind.test:{slack.port}/services")
    sender = Sender(ChannelRules.of(ALL, ["127.0.0.1:1024-65535"]))
    try:
        first = await sender.send("slack://T00000000/B00000000/radartestwebhooktoken000", ALERT)
        second = await sender.send("slack://T11111111/B11111111/radartestwebhooktoken111", ALERT)
    finally:
        await sender.close()
        configure_slack("https://hooks.slack.com/services")
        slack.stop()
        other.stop()
    assert first.ok, first.errors
    assert [r["path"] for r in slack.snapshot()] == ["/services/T00000000/B00000000/radartestwebhooktoken000"]
    assert dns.lookups == 2
    assert not second.ok and second.permanent and "127.0.0.2, which is not a public address" in second.errors[0]
    assert other.accepted == 0 and outside_connections == []


async def test_a_forged_row_fails_once_with_the_policy_as_its_last_error(sqlite_url: str, listener: ConnectionRecorder, outside_connections: list) -> None:
    sub = subscribe(sqlite_url, f"json://127.0.0.1:{listener.port}/?method=DELETE")  # written to the database, never validated
    notifier, delivered, failed = notifier_for(sqlite_url, allowed_schemes=ALL, allowed_networks=[])
    try:
        notifier.apply_subscriptions([sub])
        await notifier.handle(ArticleClassified(article=article("Tanker seized"), tags=[tag("North Korea sanctions")], classifier_version="rules:test",
                                                discovered_at=datetime.now(UTC)))
        await notifier.settle()
        await notifier.relay_events()  # the failed event goes out through the outbox
    finally:
        await notifier.close()
    with session_scope(sqlite_url) as s:
        [row] = s.query(Delivery).all()
        assert row.status == "failed" and row.attempts == 1
        assert row.last_error == "channel: host 127.0.0.1 is not a public address (refused by the address policy; nothing was sent)"
    assert [e.permanent for e in failed] == [True] and delivered == []
    assert listener.accepted == 0 and outside_connections == []


MAIL = "to=a@example.org&from=radar@example.org"


@pytest.mark.parametrize("template", ["ntfy://{host}:{port}/alerts", "mailto://{host}:{port}?" + MAIL, "matrix://u:p@{host}:{port}/!room"])
@pytest.mark.parametrize("host", ["127.0.0.1", "relay.test"])  # checked in the stored URL, and at the look-up for a name
async def test_an_allowed_address_is_open_only_on_the_ports_its_entry_names(template: str, host: str, monkeypatch: pytest.MonkeyPatch,
                                                                          listener: ConnectionRecorder, outside_connections: list) -> None:
    """Issue 21, item 2: with the relay's address allowed, a channel could reach every other port there."""
    http, smtp = HTTPSink().start(), SMTPSink().start()
    monkeypatch.setattr(socket, "getaddrinfo", RebindingDNS("relay.test", [["127.0.0.1"]]))
    sender = Sender(ChannelRules.of(ALL, [f"127.0.0.1:{smtp.port},{http.port}"]))  # the operator's relay and ntfy server
    try:
        probe = await sender.send(template.format(host=host, port=listener.port), ALERT)  # a second port of the allowed address
        allowed = await sender.send(template.format(host=host, port=smtp.port if template.startswith("mailto") else http.port), ALERT)
    finally:
        await sender.close()
        http.stop()
        smtp.stop()
    assert not probe.ok and probe.permanent and "not a public address" in probe.errors[0] and "address policy" in probe.errors[0], probe.errors
    assert listener.accepted == 0 and outside_connections == []
    if template.startswith("matrix"):  # the stand-in is no Matrix server: what matters is that the send reached it
        assert [r["path"] for r in http.snapshot()][0] == "/_matrix/client/v3/login", allowed.errors
    else:
        assert allowed.ok, allowed.errors
        assert len(http.snapshot()) + len(smtp.snapshot()) == 1
