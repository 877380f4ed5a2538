"""SSRF rules for feed URLs (pure, plus one DNS look-up helper).

A feed URL may not carry credentials or backslashes, and may not resolve to loopback, private, link-local,
CGNAT, multicast or reserved addresses, unless the address lies in a network the operator allowed.
IPv4-mapped, 6to4 and NAT64 IPv6 addresses are unwrapped before the check.
"""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
CGNAT = ipaddress.ip_network("100.64.0.0/10")


class FeedURLRefusedError(Exception):
    """The feed URL is not allowed. The message names the URL and says why; `reason` says only why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url!r}: {reason}")
        self.url = url
        self.reason = reason


def unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address; else the address itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip.sixtofour:
            return ip.sixtofour
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def is_public(ip: IPAddress) -> bool:
    ip = unwrap(ip)
    if isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT:
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local or ip.is_private)


def check_url_syntax(url: str) -> tuple[str, int]:
    """Host and port of an acceptable http(s) URL, or FeedURLRefusedError."""
    if "\\" in url:
        raise FeedURLRefusedError(url, "backslashes are not allowed in feed URLs")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FeedURLRefusedError(url, "only http and https feed URLs are allowed")
    if parts.username is not None or parts.password is not None:
        raise FeedURLRefusedError(url, "credentials in feed URLs are not allowed")
    if not parts.hostname:
        raise FeedURLRefusedError(url, "no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise FeedURLRefusedError(url, str(error)) from None
    return parts.hostname, port


def check_address(url: str, ip: IPAddress, allowed: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> None:
    if any(unwrap(ip) in net or ip in net for net in allowed):
        return
    if not is_public(ip):
        raise FeedURLRefusedError(url, f"resolves to {ip}, which is not a public address")


def parse_networks(cidrs: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


async def check_url(url: str, allowed: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> IPAddress:
    """Refuse the URL unless every address its host resolves to is allowed; return the address to connect to.

    The caller connects to exactly this address, so a DNS answer that changes between the check and the
    connection (DNS rebinding) cannot reach a private address.
    """
    host, port = check_url_syntax(url)
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        check_address(url, literal, allowed)
        return literal
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise FeedURLRefusedError(url, f"cannot resolve {host}: {error.strerror}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        check_address(url, address, allowed)
    if not addresses:
        raise FeedURLRefusedError(url, f"{host} has no addresses")
    return sorted(addresses, key=lambda a: a.version)[0]  # IPv4 first
