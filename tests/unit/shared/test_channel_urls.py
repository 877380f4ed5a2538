"""Channel URL rules: schemes, who may shape requests, and the address policy for the servers a URL names."""

import pytest

from radar_shared.channel_urls import ChannelRules, ChannelURLError, mask, servers, validate_channel_url

ALL = ChannelRules.of(["mailto", "mailtos", "slack", "https", "json", "jsons", "xml", "form", "ntfy", "ntfys", "matrix", "matrixs", "discord", "tgram"])
SLACK = "slack://T00000000/B00000000/radartestwebhooktoken000"
MAIL = "to=a@example.org&from=radar@example.org"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("ntfy://169.254.169.254/latest", "169.254.169.254"),
        (f"mailto://10.0.0.25:25?{MAIL}", "10.0.0.25"),
        (f"mailto://example.org?smtp=10.0.0.25&{MAIL}", "10.0.0.25"),  # the SMTP server a mail URL names in a parameter
        ("matrix://u:p@127.0.0.1/!room", "127.0.0.1"),
        ("ntfy://2130706433/topic", "2130706433 (127.0.0.1)"),
        ("ntfy://0x7f000001/topic", "0x7f000001 (127.0.0.1)"),
        ("ntfys://[::ffff:127.0.0.1]/topic", "::ffff:127.0.0.1"),
        ("ntfys://[::1]:8443/topic", "::1"),
        ("matrixs://u:p@100.64.0.1/!room", "100.64.0.1"),  # CGNAT
        ("ntfy://[64:ff9b::a00:1]/topic", "64:ff9b::a00:1"),  # NAT64 of 10.0.0.1
        (f"mailtos://u:p@localhost?{MAIL}", "localhost"),
        ("ntfy://evil.example\\@127.0.0.1/topic", "127.0.0.1"),
    ],
)
def test_servers_outside_the_policy_are_refused_in_every_form(url: str, host: str) -> None:
    with pytest.raises(ChannelURLError, match=r"^channel: host .* is not a public address") as refused:
        validate_channel_url(url, ALL, admin=True)
    assert host in str(refused.value)


@pytest.mark.parametrize(
    "url", ["json://127.0.0.1:8080/path?method=DELETE&+Authorization=Bearer%20x", "jsons://192.168.1.1/", "xml://hooks.example.org/a", "form://hooks.example.org/"],
)
def test_urls_that_choose_method_and_headers_are_for_admins(url: str) -> None:
    with pytest.raises(ChannelURLError, match=r"^channel: scheme '\w+' lets the URL choose the HTTP method and headers; only admins"):
        validate_channel_url(url, ALL, admin=False)


def test_admins_are_still_bound_by_the_address_policy() -> None:
    assert validate_channel_url("jsons://hooks.example.org/alerts?method=PUT", ALL, admin=True) == "jsons"
    with pytest.raises(ChannelURLError, match="host 192.168.1.1 is not a public address"):
        validate_channel_url("jsons://192.168.1.1/", ALL, admin=True)


def test_the_allow_list_lets_an_intranet_relay_through() -> None:
    relay = ChannelRules.of(["mailto", "ntfy"], ["10.0.0.0/24:25,80"])
    assert validate_channel_url(f"mailto://10.0.0.25:25?{MAIL}", relay, admin=False) == "mailto"
    assert validate_channel_url("ntfy://10.0.0.9/alerts", relay, admin=False) == "ntfy"
    with pytest.raises(ChannelURLError, match="host 10.0.1.25 is not a public address"):
        validate_channel_url(f"mailto://10.0.1.25:25?{MAIL}", relay, admin=False)


@pytest.mark.parametrize(
    "url",
    [SLACK, "https://hooks.slack.com/services/T00000000/B00000000/radartestwebhooktoken000", "discord://1234567890/abcdefghijkl",
     "tgram://167772161:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ/12345", f"mailtos://u:p@smtp.example.org?{MAIL}", "ntfy://radar-alerts"],
)
def test_hosted_services_and_public_servers_pass(url: str) -> None:
    validate_channel_url(url, ALL, admin=False)  # a Telegram bot id is not an address, even one that reads as 10.0.0.1


def test_servers_are_the_hosts_a_url_makes_radar_connect_to() -> None:
    assert servers(f"mailto://u:p@gmail.com?{MAIL}") == ["gmail.com", "smtp.gmail.com"]
    assert servers(SLACK) == [] and servers("discord://1234567890/abcdefghijkl") == []


def test_other_refusals_name_the_field() -> None:
    with pytest.raises(ChannelURLError, match="^channel: scheme 'xml' is not allowed; allowed: slack"):
        validate_channel_url("xml://example.org/hook", ChannelRules.of(["slack"]), admin=True)
    with pytest.raises(ChannelURLError, match="^channel: Apprise cannot use"):
        validate_channel_url("slack://short", ALL, admin=True)
    with pytest.raises(ChannelURLError, match="^channel: not a valid URL"):
        validate_channel_url("ntfy://[::1/topic", ALL, admin=True)


def test_mask_hides_secrets() -> None:
    assert "SuperSecret" not in mask("mailtos://user:SuperSecret@mail.example?to=a@example.org")
    assert "radartestwebhooktoken000" not in mask(SLACK)


def test_importing_the_rules_leaves_apprise_alone() -> None:
    import subprocess
    import sys

    code = ("import socket, apprise.plugins.email.smtp as smtp; before = (socket.getaddrinfo, smtp.ssl); "
            "import radar_shared.channel_urls; assert (socket.getaddrinfo, smtp.ssl) == before")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("template", ["ntfy://10.0.0.9:{port}/alerts", "mailto://10.0.0.9:{port}?" + MAIL, "matrix://u:p@10.0.0.9:{port}/!room",
                                      "mailto://u:p@example.org:{port}?smtp=10.0.0.9&" + MAIL])
def test_an_allowed_address_is_open_only_on_the_ports_its_entry_names(template: str) -> None:
    relay = ChannelRules.of(["mailto", "ntfy", "matrix"], ["10.0.0.9:25,8080"])
    assert validate_channel_url(template.format(port=25), relay, admin=False) in ("mailto", "ntfy", "matrix")
    with pytest.raises(ChannelURLError, match=r"^channel: host 10\.0\.0\.9 is not a public address \(its allow-list entry does not name port 6379\)$"):
        validate_channel_url(template.format(port=6379), relay, admin=False)


def test_channel_rules_refuse_an_entry_without_ports_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="NOTIFIER_ALLOWED_NETWORKS: entry '10.0.0.0/24': names no port; write 10.0.0.0/24:PORT"):
        ChannelRules.of(["mailto"], ["10.0.0.0/24"])
