"""The address policy that every outbound connection obeys: feeds, article pages, channels."""

import ipaddress

import pytest

from radar_shared.netpolicy import (
    AllowListError,
    FeedAllowance,
    URLRefusedError,
    check_address,
    check_url,
    check_url_syntax,
    host_refusal,
    intersect,
    is_public,
    literal_address,
    parse_allow_list,
    pinned_request,
    within,
)


def allow(*entries: str) -> tuple:
    return parse_allow_list(entries, "TEST_ALLOWED_NETWORKS")


@pytest.mark.parametrize(
    "ip",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "0.0.0.0", "240.0.0.1",
     "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:0001::", "64:ff9b::a00:1", "64:ff9b::7f00:1"],
)
def test_non_public_addresses_are_refused(ip: str) -> None:
    assert not is_public(ipaddress.ip_address(ip))
    with pytest.raises(URLRefusedError, match="not a public address"):
        check_address("http://feed", ipaddress.ip_address(ip), 80, [])


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"])
def test_public_addresses_pass(ip: str) -> None:
    check_address("http://feed", ipaddress.ip_address(ip), 80, [])


def test_allowed_networks_let_intranet_feeds_through_on_their_ports_only() -> None:
    check_address("http://intranet/feed", ipaddress.ip_address("10.1.2.3"), 80, allow("10.0.0.0/8:80,443"))
    check_address("http://intranet/feed", ipaddress.ip_address("::ffff:10.1.2.3"), 443, allow("10.0.0.0/8:80,443"))
    with pytest.raises(URLRefusedError, match=r"resolves to 192\.168\.1\.1, which is not a public address$"):
        check_address("http://intranet/feed", ipaddress.ip_address("192.168.1.1"), 80, allow("10.0.0.0/8:80,443"))
    with pytest.raises(URLRefusedError, match="its allow-list entry does not name port 8080"):
        check_address("http://intranet:8080/feed", ipaddress.ip_address("10.1.2.3"), 8080, allow("10.0.0.0/8:80,443"))


@pytest.mark.parametrize(
    ("entry", "network", "ports"),
    [("127.0.0.1:8025", "127.0.0.1/32", ((8025, 8025),)), ("127.0.0.1/32:8025", "127.0.0.1/32", ((8025, 8025),)),
     ("10.0.0.0/8:443,8443", "10.0.0.0/8", ((443, 443), (8443, 8443))), ("10.1.2.0/24:8000-8099", "10.1.2.0/24", ((8000, 8099),)),
     ("[::1]:25", "::1/128", ((25, 25),)), ("[fd00::/8]:443", "fd00::/8", ((443, 443),)), ("[fd00::]/8:443", "fd00::/8", ((443, 443),)),
     (" 10.1.2.3/8 : 80 ", "10.0.0.0/8", ((80, 80),))],
)
def test_an_entry_names_addresses_and_ports(entry: str, network: str, ports: tuple) -> None:
    (parsed,) = allow(entry)
    assert str(parsed.network) == network and parsed.ports == ports
    assert allow(str(parsed)) == (parsed,)  # the canonical form reads back as itself


@pytest.mark.parametrize(
    ("entry", "reason"),
    [("127.0.0.0/8", "entry '127.0.0.0/8': names no port; write 127.0.0.0/8:PORT"), ("::1", r"entry '::1': names no port; write \[::1\]:PORT"),
     ("relay.internal:25", "'relay.internal' is not an IP address or network \\(entries name addresses, not host names\\)"),
     ("10.0.0.0/8:", "'' is not a list of ports"), ("10.0.0.0/8:0", "port '0' is not within 1-65535"),
     ("10.0.0.0/8:65536", "port '65536' is not within 1-65535"), ("10.0.0.0/8:90-80", "port range '90-80' runs backwards"),
     ("10.0.0.0/33:25", "'10.0.0.0/33' is not an IP address or network"), ("", "is not of the form ADDRESS:PORTS"),
     ("fd00::1:443", "names no port"), ("10.0.0.1:http", "'http' is not a list of ports")],
)
def test_a_bad_entry_is_refused_naming_the_setting_and_the_entry(entry: str, reason: str) -> None:
    with pytest.raises(AllowListError, match=f"^TEST_ALLOWED_NETWORKS: .*{reason}"):
        allow(entry)


def test_settings_refuse_bad_entries_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from radar_shared.settings import ChannelSettings, FeedSettings

    monkeypatch.setenv("NOTIFIER_ALLOWED_NETWORKS", '["127.0.0.1/32"]')
    with pytest.raises(ValidationError, match="NOTIFIER_ALLOWED_NETWORKS: entry '127.0.0.1/32': names no port"):
        ChannelSettings()
    monkeypatch.setenv("FEED_WATCHER_ALLOWED_NETWORKS", '["intranet.example:443"]')
    with pytest.raises(ValidationError, match="FEED_WATCHER_ALLOWED_NETWORKS: entry 'intranet.example:443': 'intranet.example' is not an IP address"):
        FeedSettings()
    monkeypatch.setenv("NOTIFIER_ALLOWED_NETWORKS", '["127.0.0.1:8025", "[::1]:25"]')
    assert [str(a) for a in ChannelSettings().allow_list()] == ["127.0.0.1:8025", "[::1]:25"]


def test_intersect_and_within() -> None:
    operator = allow("10.0.0.0/8:1-1000", "192.168.0.0/16:80")
    assert [str(a) for a in intersect(allow("10.1.0.0/16:443,8443", "172.16.0.0/12:80", "192.168.1.0/24:80-90"), operator)] == ["10.1.0.0/16:443", "192.168.1.0/24:80"]
    assert within(allow("10.1.2.3:443")[0], operator) and not within(allow("10.1.2.3:8443")[0], operator)
    assert not within(allow("10.0.0.0/7:80")[0], operator) and not within(allow("[::1]:80")[0], operator)


def test_a_feeds_own_origin_follows_the_operators_list_and_everything_else_the_feeds_own() -> None:
    operator = allow("127.0.0.1:8000-8099")
    plain = FeedAllowance.of("http://127.0.0.1:8000/feed.xml", operator)
    assert plain.for_url("http://127.0.0.1:8000/article/1") == operator
    assert plain.for_url("http://127.0.0.1:8001/article/1") == () and plain.for_url("https://127.0.0.1:8000/") == ()
    opted = FeedAllowance.of("http://127.0.0.1:8000/feed.xml", operator, allow("127.0.0.1:8001", "127.0.0.1:9000"))
    assert opted.for_url("http://127.0.0.1:8001/article/1") == allow("127.0.0.1:8001")  # 9000 is not the operator's to give


@pytest.mark.parametrize(
    ("url", "reason"),
    [("http://user:pw@example.org/feed", "credentials"), ("http://example.org\\@evil/feed", "backslash"), ("file:///etc/passwd", "only http"),
     ("gopher://example.org/", "only http"), ("http:///feed", "no host"), ("http://example.org:99999/", "Port out of range"),
     ("http://[::1/feed", "not a valid URL")],
)
def test_url_syntax_is_refused(url: str, reason: str) -> None:
    with pytest.raises(URLRefusedError, match=reason):
        check_url_syntax(url)


@pytest.mark.parametrize(
    ("host", "address"),
    [("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("[::1]", "::1"),
     ("[fe80::1%eth0]", "fe80::1"), ("[::ffff:7f00:1]", "::ffff:7f00:1"), ("10.0.0.25", "10.0.0.25")],
)
def test_every_written_form_of_an_address_is_read_as_that_address(host: str, address: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(address)
    assert host_refusal(host, None, []) is not None and "not a public address" in host_refusal(host, None, [])  # type: ignore[operator]


@pytest.mark.parametrize("host", ["example.org", "smtp.example.org", "12345678901", "ntfy.sh"])
def test_names_are_left_for_the_connection_check(host: str) -> None:
    assert literal_address(host) is None and host_refusal(host, None, []) is None


def test_host_refusal_names_the_host_and_honours_the_allow_list() -> None:
    assert host_refusal("0x7f000001", None, []) == "host 0x7f000001 (127.0.0.1) is not a public address"
    assert host_refusal("localhost", None, []) == "host localhost is not a public address"
    assert host_refusal("Radar.LOCALHOST.", None, []) is not None
    assert host_refusal("93.184.216.34", 25, []) is None
    assert host_refusal("127.0.0.1", None, allow("127.0.0.0/8:25")) is None
    assert host_refusal("127.0.0.1", 25, allow("127.0.0.0/8:25")) is None
    assert host_refusal("127.0.0.1", 2525, allow("127.0.0.0/8:25")) == "host 127.0.0.1 is not a public address (its allow-list entry does not name port 2525)"
    assert host_refusal("localhost", 25, allow("127.0.0.0/8:25")) is None
    assert host_refusal("localhost", 6379, allow("127.0.0.0/8:25")) == "host localhost is not a public address (its allow-list entry does not name port 6379)"
    assert host_refusal("10.0.0.25", None, allow("127.0.0.0/8:25")) == "host 10.0.0.25 is not a public address"


async def test_names_are_resolved_and_checked() -> None:
    with pytest.raises(URLRefusedError, match="127.0.0.1"):
        await check_url("http://localhost:8080/feed", [])
    with pytest.raises(URLRefusedError, match="127.0.0.1"):
        await check_url("http://2130706433:8080/feed", [])
    await check_url("http://localhost:8080/feed", allow("127.0.0.0/8:8080", "[::1]:8080"))
    with pytest.raises(URLRefusedError, match="does not name port 8081"):
        await check_url("http://localhost:8081/feed", allow("127.0.0.0/8:8080", "[::1]:8080"))


def test_pinned_request_keeps_host_and_sni() -> None:
    url, headers, ext = pinned_request("https://feeds.example:8443/rss?x=1", ipaddress.ip_address("93.184.216.34"))
    assert url == "https://93.184.216.34:8443/rss?x=1"
    assert headers == {"Host": "feeds.example:8443"} and ext == {"sni_hostname": "feeds.example"}
    url6, _, _ = pinned_request("http://feeds.example/", ipaddress.ip_address("2606:2800:220:1::1"))
    assert url6 == "http://[2606:2800:220:1::1]/"
