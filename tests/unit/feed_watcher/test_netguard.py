import ipaddress

import pytest

from radar_feed_watcher.netguard import FeedURLRefusedError, check_address, check_url, check_url_syntax, is_public, parse_networks


@pytest.mark.parametrize(
    "ip",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "0.0.0.0", "240.0.0.1",
     "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:0001::", "64:ff9b::a00:1", "64:ff9b::7f00:1"],
)
def test_non_public_addresses_are_refused(ip: str) -> None:
    assert not is_public(ipaddress.ip_address(ip))
    with pytest.raises(FeedURLRefusedError, match="not a public address"):
        check_address("http://feed", ipaddress.ip_address(ip), [])


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"])
def test_public_addresses_pass(ip: str) -> None:
    check_address("http://feed", ipaddress.ip_address(ip), [])


def test_allowed_networks_let_intranet_feeds_through() -> None:
    check_address("http://intranet/feed", ipaddress.ip_address("10.1.2.3"), parse_networks(["10.0.0.0/8"]))
    with pytest.raises(FeedURLRefusedError):
        check_address("http://intranet/feed", ipaddress.ip_address("192.168.1.1"), parse_networks(["10.0.0.0/8"]))


@pytest.mark.parametrize(
    ("url", "reason"),
    [("http://user:pw@example.org/feed", "credentials"), ("http://example.org\\@evil/feed", "backslash"), ("file:///etc/passwd", "only http"),
     ("gopher://example.org/", "only http"), ("http:///feed", "no host"), ("http://example.org:99999/", "Port out of range")],
)
def test_url_syntax_is_refused(url: str, reason: str) -> None:
    with pytest.raises(FeedURLRefusedError, match=reason):
        check_url_syntax(url)


async def test_names_are_resolved_and_checked() -> None:
    with pytest.raises(FeedURLRefusedError, match="127.0.0.1"):
        await check_url("http://localhost:8080/feed", [])
    await check_url("http://localhost:8080/feed", parse_networks(["127.0.0.0/8", "::1/128"]))
