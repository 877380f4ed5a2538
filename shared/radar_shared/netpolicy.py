"""The address policy for every outbound connection: feeds, article pages and channels (pure, plus one DNS
look-up helper). Importing this module changes nothing.

A URL may not carry credentials (feeds) or backslashes, and its host may not be, or resolve to, a loopback,
private, link-local, CGNAT, multicast or reserved address, unless an allow-list entry names the address and the
port (`127.0.0.1:8025`, `10.0.0.0/8:443,8443`, `[::1]:25`, `10.1.2.0/24:8000-8099`; decision 020). IPv4-mapped, 6to4 and NAT64 IPv6 addresses are unwrapped before the check, and the integer, hex and
short IPv4 forms (`2130706433`, `0x7f000001`, `127.1`) are read as the addresses they are. A name is checked
by resolving it once; the caller connects to exactly the address that was checked (`pinned_request`), so a
DNS answer that changes between check and connection (rebinding) cannot reach a refused address.
"""

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
NAT64 = ipaddress.ip_network("64:ff9b::/96")
CGNAT = ipaddress.ip_network("100.64.0.0/10")
POLICY = "not a public address"


class URLRefusedError(Exception):
    """The URL is not allowed. The message names the URL and says why; `reason` says only why."""

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


class AllowListError(ValueError):
    """An allow-list entry that cannot be read. The message names the setting (or field) and the entry."""


PortRange = tuple[int, int]
_BRACKETED = re.compile(r"^\[(?P<address>[^\]]+)\](?P<prefix>/\d+)?:(?P<ports>.*)$")
ENTRY_FORMS = "ADDRESS:PORTS or NETWORK:PORTS, e.g. 127.0.0.1:8025, 10.0.0.0/8:443,8443, [::1]:25, 10.1.2.0/24:8000-8099"


@dataclass(frozen=True)
class Allowance:
    """One allow-list entry: the addresses of `network`, on the ports of `ports` (inclusive ranges) only."""

    network: Network
    ports: tuple[PortRange, ...]

    def covers(self, ip: IPAddress) -> bool:
        return unwrap(ip) in self.network or ip in self.network

    def permits(self, ip: IPAddress, port: int) -> bool:
        return self.covers(ip) and any(low <= port <= high for low, high in self.ports)

    def __str__(self) -> str:
        net = str(self.network)
        if self.network.version == 6:
            net = f"[{self.network.network_address}]" if self.network.prefixlen == 128 else f"[{net}]"
        elif self.network.prefixlen == 32:
            net = str(self.network.network_address)
        return f"{net}:" + ",".join(str(low) if low == high else f"{low}-{high}" for low, high in self.ports)


AllowList = tuple[Allowance, ...]


def _ports(text: str) -> tuple[PortRange, ...]:
    ranges = []
    for part in text.split(","):
        low, sep, high = part.strip().partition("-")
        if not low.strip().isdigit() or (sep and not high.strip().isdigit()):
            raise ValueError(f"{text!r} is not a list of ports (443,8443) or port ranges (8000-8099)")
        first, last = int(low), int(high) if sep else int(low)
        if not 1 <= first <= last <= 65535:
            raise ValueError(f"port {part.strip()!r} is not within 1-65535" if first <= last else f"port range {part.strip()!r} runs backwards")
        ranges.append((first, last))
    return tuple(sorted(set(ranges)))


def parse_allowance(entry: str) -> Allowance:
    """An entry as an Allowance, or ValueError saying what is wrong with it (without naming the setting)."""
    text = entry.strip()
    try:
        bare = ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    else:  # a network without ports: it used to open every port (decision 009); now it must say which
        shown = f"[{text}]" if bare.version == 6 else text
        raise ValueError(f"names no port; write {shown}:PORT (ports may be a list, 443,8443, or a range, 8000-8099)")
    bracketed = _BRACKETED.match(text)
    if bracketed:
        network_text, ports_text = bracketed["address"] + (bracketed["prefix"] or ""), bracketed["ports"]
    else:
        network_text, sep, ports_text = text.rpartition(":")
        if not sep or ":" in network_text:
            raise ValueError(f"is not of the form {ENTRY_FORMS} (an IPv6 address goes in brackets)")
    try:
        network = ipaddress.ip_network(network_text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{network_text.strip()!r} is not an IP address or network (entries name addresses, not host names)") from None
    return Allowance(network, _ports(ports_text))


def parse_allow_list(entries: Iterable[str], setting: str) -> AllowList:
    """The entries of an allow-list setting, or AllowListError naming the setting, the entry and what is wrong."""
    allowances = []
    for entry in entries:
        try:
            allowances.append(parse_allowance(entry))
        except ValueError as error:
            raise AllowListError(f"{setting}: entry {entry!r}: {error}") from None
    return tuple(allowances)


def intersect(first: Iterable[Allowance], second: Iterable[Allowance]) -> AllowList:
    """What both allow-lists let through (CIDR networks either nest or are disjoint)."""
    out = []
    for a in first:
        for b in second:
            if a.network.version != b.network.version:
                continue
            if a.network.subnet_of(b.network):  # type: ignore[arg-type]
                network = a.network
            elif b.network.subnet_of(a.network):  # type: ignore[arg-type]
                network = b.network
            else:
                continue
            ports = tuple((max(al, bl), min(ah, bh)) for al, ah in a.ports for bl, bh in b.ports if max(al, bl) <= min(ah, bh))
            if ports:
                out.append(Allowance(network, ports))
    return tuple(dict.fromkeys(out))


def within(entry: Allowance, allowed: Iterable[Allowance]) -> bool:
    """True when one entry of `allowed` lets through everything `entry` does."""
    return any(
        entry.network.version == a.network.version and entry.network.subnet_of(a.network)  # type: ignore[arg-type]
        and all(any(al <= low and high <= ah for al, ah in a.ports) for low, high in entry.ports)
        for a in allowed
    )


def is_allowed(ip: IPAddress, port: int | None, allowed: Iterable[Allowance]) -> bool:
    """True for a public address, or one an entry names on this port. `port=None` (not known yet, as when a
    channel is stored without one): an entry that names the address on any port."""
    return is_public(ip) or any(a.covers(ip) if port is None else a.permits(ip, port) for a in allowed)


def check_address(url: str, ip: IPAddress, port: int, allowed: Iterable[Allowance]) -> None:
    allowed = tuple(allowed)
    if not is_allowed(ip, port, allowed):
        raise URLRefusedError(url, f"resolves to {ip}, which is {POLICY}" + _other_ports(port, allowed, ip))


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as an IP literal stands for, in any form the C resolver accepts (dotted,
    integer, hex, octal, short, bracketed IPv6 with or without a zone); None for a name."""
    host = host.strip().strip("[]").split("%")[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # 2130706433, 0x7f000001, 0177.0.0.1, 127.1
    except (OSError, ValueError):
        return None


def is_local_name(host: str) -> bool:
    """`localhost` and its subdomains always mean this machine (RFC 6761)."""
    name = host.strip().rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def host_refusal(host: str, port: int | None, allowed: Iterable[Allowance]) -> str | None:
    """Why a host written in a URL is refused without a DNS look-up (an address literal outside the policy, or a
    name for this machine), or None. Other names are checked when they are resolved for the connection.
    `port=None`: the URL names no port (its scheme's default applies, checked when it connects)."""
    allowed = tuple(allowed)
    address = literal_address(host)
    if address is not None:
        if is_allowed(address, port, allowed):
            return None
        shown = host if str(address) == host.strip("[]") else f"{host} ({address})"
        return f"host {shown} is {POLICY}" + _other_ports(port, allowed, address)
    loopback = [ipaddress.ip_address(a) for a in ("127.0.0.1", "::1")]
    if is_local_name(host) and not any(is_allowed(a, port, allowed) for a in loopback):
        return f"host {host} is {POLICY}" + _other_ports(port, allowed, *loopback)
    return None


def _other_ports(port: int | None, allowed: AllowList, *addresses: IPAddress) -> str:
    """The note that an entry names the address but not this port (so the operator sees which port to add)."""
    return f" (its allow-list entry does not name port {port})" if port is not None and any(a.covers(ip) for a in allowed for ip in addresses) else ""


def check_url_syntax(url: str) -> tuple[str, int]:
    """Host and port of an acceptable http(s) URL, or URLRefusedError."""
    if "\\" in url:
        raise URLRefusedError(url, "backslashes are not allowed in URLs")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise URLRefusedError(url, f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise URLRefusedError(url, "only http and https URLs are allowed")
    if parts.username is not None or parts.password is not None:
        raise URLRefusedError(url, "credentials in URLs are not allowed")
    if not parts.hostname:
        raise URLRefusedError(url, "no host")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str, allowed: Iterable[Allowance]) -> IPAddress:
    """Refuse the URL unless every address its host resolves to is allowed on its port; return the address to
    connect to.

    The caller connects to exactly this address, so a DNS answer that changes between the check and the
    connection (DNS rebinding) cannot reach a private address.
    """
    host, port = check_url_syntax(url)
    allowed = tuple(allowed)
    literal = literal_address(host)
    if literal is not None:
        check_address(url, literal, port, allowed)
        return literal
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise URLRefusedError(url, f"cannot resolve {host}: {error.strerror}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        check_address(url, address, port, allowed)
    if not addresses:
        raise URLRefusedError(url, f"{host} has no addresses")
    return sorted(addresses, key=lambda a: a.version)[0]  # IPv4 first


def pinned_request(url: str, address: IPAddress) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the checked address, the Host header and the TLS server name (httpx)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{ip}:{parts.port}" if parts.port else ip
    host_header = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), {"Host": host_header}, {"sni_hostname": host}


def origin(url: str) -> tuple[str, str, int] | None:
    """Scheme, lower-case host and port (the scheme's default when none is written) of an http(s) URL, or None."""
    try:
        host, port = check_url_syntax(url)
    except URLRefusedError:
        return None
    return urlsplit(url).scheme.lower(), host.lower().rstrip("."), port


@dataclass(frozen=True)
class FeedAllowance:
    """What one feed's fetches may reach besides public addresses (decision 020). A target on the feed's own
    origin (the URL an admin stored: scheme, host, port) is checked against the operator's list, as the feed
    itself is; any other target, reached through a redirect or an entry's link (the article-page path, its
    robots.txt), only against the feed's own entries, and those only as far as the operator's list reaches."""

    home: tuple[str, str, int] | None
    operator: AllowList
    feed: AllowList = ()

    @classmethod
    def of(cls, feed_url: str, operator: AllowList, feed: AllowList = ()) -> "FeedAllowance":
        return cls(origin(feed_url), operator, intersect(feed, operator))

    def for_url(self, url: str) -> AllowList:
        return self.operator if self.home is not None and origin(url) == self.home else self.feed


Rule = Iterable[Allowance] | FeedAllowance


def allowance_for(rule: Rule, url: str) -> AllowList:
    """The entries that apply to `url`: a plain allow-list applies to every URL."""
    return rule.for_url(url) if isinstance(rule, FeedAllowance) else tuple(rule)
