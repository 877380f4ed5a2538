"""The address policy for every outbound connection: feeds, article pages and channels (pure, plus one DNS
look-up helper). Importing this module changes nothing.

A URL may not carry credentials (feeds) or backslashes, and its host may not be, or resolve to, a loopback,
private, link-local, CGNAT, multicast or reserved address, unless the address lies in a network the operator
allowed. IPv4-mapped, 6to4 and NAT64 IPv6 addresses are unwrapped before the check, and the integer, hex and
short IPv4 forms (`2130706433`, `0x7f000001`, `127.1`) are read as the addresses they are. A name is checked
by resolving it once; the caller connects to exactly the address that was checked (`pinned_request`), so a
DNS answer that changes between check and connection (rebinding) cannot reach a refused address.
"""

import asyncio
import ipaddress
import socket
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


def parse_networks(cidrs: list[str] | tuple[str, ...]) -> list[Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


def is_allowed(ip: IPAddress, allowed: list[Network]) -> bool:
    """True for a public address, or one inside a network the operator allowed."""
    return any(unwrap(ip) in net or ip in net for net in allowed) or is_public(ip)


def check_address(url: str, ip: IPAddress, allowed: list[Network]) -> None:
    if not is_allowed(ip, allowed):
        raise URLRefusedError(url, f"resolves to {ip}, which is {POLICY}")


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


def host_refusal(host: str, allowed: list[Network]) -> str | None:
    """Why a host written in a URL is refused without a DNS look-up (an address literal outside the policy, or a
    name for this machine), or None. Other names are checked when they are resolved for the connection."""
    address = literal_address(host)
    if address is not None:
        if is_allowed(address, allowed):
            return None
        shown = host if str(address) == host.strip("[]") else f"{host} ({address})"
        return f"host {shown} is {POLICY}"
    if is_local_name(host) and not any(ipaddress.ip_address(a) in net for a in ("127.0.0.1", "::1") for net in allowed):
        return f"host {host} is {POLICY}"
    return None


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


async def check_url(url: str, allowed: list[Network]) -> IPAddress:
    """Refuse the URL unless every address its host resolves to is allowed; return the address to connect to.

    The caller connects to exactly this address, so a DNS answer that changes between the check and the
    connection (DNS rebinding) cannot reach a private address.
    """
    host, port = check_url_syntax(url)
    literal = literal_address(host)
    if literal is not None:
        check_address(url, literal, allowed)
        return literal
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise URLRefusedError(url, f"cannot resolve {host}: {error.strerror}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        check_address(url, address, allowed)
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
