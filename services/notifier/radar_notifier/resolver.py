"""The guarded resolver: Apprise's own connections obey the address policy, pinned (IO).

Apprise connects through requests/urllib3 (HTTP services) and smtplib (email). Both call `socket.getaddrinfo`
and then connect to exactly the addresses it returned, for names and address literals alike. `install()` wraps
`socket.getaddrinfo` once per process (explicitly, from the Sender; importing this module changes nothing).
While `guarded(allowed)` is active in a thread (a context variable, set around one Apprise send), every address
an answer holds is checked against the policy on the port asked for (allow-list entries name ports, decision
020), and an answer with any refused address raises AddressRefusedError
before anything connects: the address checked is the address connected to, so DNS rebinding cannot slip
between them, and redirects and discovery requests (Matrix's .well-known) are checked too. Outside a guarded
send (Kafka, the database, the event loop's own look-ups) the wrapper only passes the call on.
"""

import contextlib
import contextvars
import ipaddress
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from radar_shared.netpolicy import POLICY, AllowList, is_allowed, literal_address


class AddressRefusedError(socket.gaierror):
    """An answer held an address outside the policy. urllib3 and smtplib report it as a failed connection."""


@dataclass
class Guard:
    allowed: AllowList
    refused: list[str] = field(default_factory=list)  # why, for the send's error (the first refusal wins)


_guard: contextvars.ContextVar[Guard | None] = contextvars.ContextVar("radar_address_guard", default=None)


def refusal(host: str, infos: list[tuple], allowed: AllowList) -> str | None:
    """Why an answer of getaddrinfo for `host` may not be connected to, or None: each address on the port it
    carries (the port the connection will use). A name's addresses are not named, so a user cannot map the
    operator's internal DNS through channel errors; nor is it said whether another port would have passed."""
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        except ValueError:
            return f"host {host} resolves to something that is not an IP address"
        if not is_allowed(address, int(info[4][1]), allowed):
            return f"host {host} is {POLICY}" if literal_address(str(host)) is not None else f"host {host} resolves to an address that is {POLICY}"
    return None


def _wrap(resolve: Callable[..., list[tuple]]) -> Callable[..., list[tuple]]:
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple]:
        guard = _guard.get()
        infos = resolve(host, port, *args, **kwargs)
        if guard is not None:
            host_text = host.decode() if isinstance(host, bytes) else str(host)
            if reason := refusal(host_text, infos, guard.allowed):
                guard.refused.append(reason)
                raise AddressRefusedError(socket.EAI_FAIL, f"{reason} (refused by Radar's address policy)")
        return infos

    getaddrinfo.radar_guarded = True  # type: ignore[attr-defined]
    return getaddrinfo


def install() -> None:
    """Wrap socket.getaddrinfo (once; again only if someone replaced the wrapper)."""
    if not getattr(socket.getaddrinfo, "radar_guarded", False):
        socket.getaddrinfo = _wrap(socket.getaddrinfo)  # type: ignore[assignment]


@contextlib.contextmanager
def guarded(allowed: AllowList) -> Iterator[Guard]:
    """Check every look-up this thread makes until the block ends; the Guard lists what was refused."""
    install()  # a no-op once installed; never a guard that checks nothing because the wrapper was replaced
    guard = Guard(allowed)
    token = _guard.set(guard)
    try:
        yield guard
    finally:
        _guard.reset(token)
