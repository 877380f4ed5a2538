"""The address policy that every outbound connection obeys: feeds, article pages, channels."""

import ipaddress

import pytest

from radar_shared.netpolicy import URLRefusedError, check_address, check_url, check_url_syntax, host_refusal, is_public, literal_address, parse_networks, pinned_request


@pytest.mark.parametrize(
    "ip",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "0.0.0.0", "240.0.0.1",
     "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:0001::", "64:ff9b::a00:1", "64:ff9b::7f00:1"],
)
def test_non_public_addresses_are_refused(ip: str) -> None:
    assert not is_public(ipaddress.ip_address(ip))
    with pytest.raises(URLRefusedError, match="not a public address"):
        check_address("http://feed", ipaddress.ip_address(ip), [])


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"])
def test_public_addresses_pass(ip: str) -> None:
    check_address("http://feed", ipaddress.ip_address(ip), [])


def test_allowed_networks_let_intranet_feeds_through() -> None:
    check_address("http://intranet/feed", ipaddress.ip_address("10.1.2.3"), parse_networks(["10.0.0.0/8"]))
    with pytest.raises(URLRefusedError):
        check_address("http://intranet/feed", ipaddress.ip_address("192.168.1.1"), parse_networks(["10.0.0.0/8"]))


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
    assert host_refusal(host, []) is not None and "not a public address" in host_refusal(host, [])  # type: ignore[operator]


@pytest.mark.parametrize("host", ["example.org", "smtp.example.org", "12345678901", "ntfy.sh"])
def test_names_are_left_for_the_connection_check(host: str) -> None:
    assert literal_address(host) is None and host_refusal(host, []) is None


def test_host_refusal_names_the_host_and_honours_the_allow_list() -> None:
    assert host_refusal("0x7f000001", []) == "host 0x7f000001 (127.0.0.1) is not a public address"
    assert host_refusal("localhost", []) == "host localhost is not a public address"
    assert host_refusal("Radar.LOCALHOST.", []) is not None
    assert host_refusal("93.184.216.34", []) is None
    assert host_refusal("127.0.0.1", parse_networks(["127.0.0.0/8"])) is None
    assert host_refusal("localhost", parse_networks(["127.0.0.0/8"])) is None
    assert host_refusal("10.0.0.25", parse_networks(["127.0.0.0/8"])) == "host 10.0.0.25 is not a public address"


async def test_names_are_resolved_and_checked() -> None:
    with pytest.raises(URLRefusedError, match="127.0.0.1"):
        await check_url("http://localhost:8080/feed", [])
    with pytest.raises(URLRefusedError, match="127.0.0.1"):
        await check_url("http://2130706433:8080/feed", [])
    await check_url("http://localhost:8080/feed", parse_networks(["127.0.0.0/8", "::1/128"]))


def test_pinned_request_keeps_host_and_sni() -> None:
    url, headers, ext = pinned_request("https://feeds.example:8443/rss?x=1", ipaddress.ip_address("93.184.216.34"))
    assert url == "https://93.184.216.34:8443/rss?x=1"
    assert headers == {"Host": "feeds.example:8443"} and ext == {"sni_hostname": "feeds.example"}
    url6, _, _ = pinned_request("http://feeds.example/", ipaddress.ip_address("2606:2800:220:1::1"))
    assert url6 == "http://[2606:2800:220:1::1]/"
