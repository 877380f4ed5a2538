"""Channel URLs (Apprise URLs): which are allowed, who may use them, and how they are shown (pure).

The control plane applies these rules when a channel is stored and the notifier when it sends, so both read them
from here. Importing this module changes nothing in Apprise: the send-time hooks live in the notifier.

A channel URL is refused when its scheme is not allowed; when its scheme lets the URL choose the HTTP method and
headers (json, xml, form, apprise) and the user is not an admin (decision 009); when a server it names (the
URL's host, an email channel's SMTP server) is an address outside the policy of `radar_shared.netpolicy`,
written in any form, or a name for this machine (on the URL's port, when it names one: allow-list entries name
ports, decision 020); or when Apprise cannot use it. Names are checked again, resolved
and pinned, when the notifier connects.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from radar_shared.netpolicy import AllowList, host_refusal, parse_allow_list
from radar_shared.settings import ChannelSettings

# Apprise's custom HTTP notifications and its API client: `?method=DELETE`, `+Header=value`, `-param`, `:key`
# let the URL shape the request to its host. Only admins may store them (decision 009).
REQUEST_SHAPING_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "apprise", "apprises"})


class ChannelURLError(ValueError):
    """A channel URL that is not allowed or that Apprise cannot use. The message names the field and is safe to show."""


@dataclass(frozen=True)
class ChannelRules:
    """What a channel URL may be: its scheme, and the addresses and ports its servers may be on besides public ones."""

    schemes: tuple[str, ...]
    networks: AllowList = ()

    @classmethod
    def of(cls, schemes: Iterable[str], networks: Iterable[str] = ()) -> "ChannelRules":
        return cls(tuple(s.lower() for s in schemes), parse_allow_list(networks, "NOTIFIER_ALLOWED_NETWORKS"))

    @classmethod
    def from_settings(cls, settings: ChannelSettings) -> "ChannelRules":
        return cls.of(settings.allowed_schemes, settings.allowed_networks)


def scheme(url: str) -> str:
    return url.partition("://")[0].lower() if "://" in url else ""


def _plugin(url: str) -> Any:
    import apprise  # imported when a channel URL is first parsed: commands that parse none start faster

    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


@functools.lru_cache(maxsize=4096)
def mask(url: str) -> str:
    """Apprise's privacy form of a channel URL (tokens and passwords hidden)."""
    plugin = _plugin(url)
    if plugin is None:
        return f"{scheme(url) or 'invalid'}://…"
    return plugin.url(privacy=True)  # type: ignore[no-any-return]


def names_a_server(kind: str) -> bool:
    """True when the scheme's URL names the server to connect to (mailto://smtp.example.org, json://host), as
    opposed to a hosted service whose URL holds only tokens (slack://T/B/C, discord://id/token)."""
    try:
        from apprise.manager_plugins import NotificationManager

        plugin_class = NotificationManager()[kind]
    except KeyError:
        return False
    return any("{host}" in template for template in plugin_class.templates)


def servers(url: str) -> list[str]:
    """The hosts a channel URL makes Radar connect to, as far as they can be known without a DNS look-up: the
    URL's host for schemes that name a server, and an email channel's SMTP server (`?smtp=`, or the one Apprise
    derives from the domain)."""
    if not names_a_server(scheme(url)):
        return []
    out = [urlsplit(url).hostname or ""]  # as Python reads the URL…
    if (plugin := _plugin(url)) is not None:  # …and as Apprise does, which is what it connects to
        out += [getattr(plugin, "host", None) or "", getattr(plugin, "smtp_host", None) or ""]
    return list(dict.fromkeys(h for h in out if h))


def validate_channel_url(url: str, rules: ChannelRules, admin: bool) -> str:
    """The channel kind (its scheme), or ChannelURLError naming the field and the rule."""
    kind = scheme(url)
    if kind not in rules.schemes:
        raise ChannelURLError(f"channel: scheme {kind or '(none)'!r} is not allowed; allowed: {', '.join(rules.schemes)}")
    if kind in REQUEST_SHAPING_SCHEMES and not admin:
        raise ChannelURLError(f"channel: scheme {kind!r} lets the URL choose the HTTP method and headers; only admins may use it")
    try:
        hosts = servers(url)
        port = urlsplit(url).port if hosts else None  # the port the URL names; None: its scheme's default
    except ValueError as error:  # urlsplit: an unbalanced '[', a bad port
        raise ChannelURLError(f"channel: not a valid URL ({error})") from None
    for host in hosts:
        if reason := host_refusal(host, port, rules.networks):
            raise ChannelURLError(f"channel: {reason}")
    if _plugin(url) is None:
        raise ChannelURLError(f"channel: Apprise cannot use the URL {mask(url)}")
    return kind
