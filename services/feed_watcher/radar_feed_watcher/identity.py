"""Article and entry identity (pure): canonical URLs, article_id, entry keys, story_id."""

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mkt_tok", "_hsenc", "_hsmi", "ref_src"})
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "piwik_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, default port, fragment and tracking parameters removed."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def article_id(url: str) -> str:
    """Stable hash of the canonical URL."""
    return _digest(canonical_url(url))


def entry_key(guid: str | None, link: str | None, title: str, content: str, guid_reused: bool = False) -> str:
    """The entry's identity within its feed: GUID; GUID plus link where the feed reuses one GUID for
    several items; else the link; else title plus content."""
    if guid and guid.strip():
        if guid_reused and link and link.strip():
            return _digest("guid+link", guid.strip(), canonical_url(link))
        return _digest("guid", guid.strip())
    if link and link.strip():
        return _digest("link", canonical_url(link))
    return _digest("text", title.strip(), content.strip())


def story_id(canonical: str) -> str:
    """Groups one story across feeds and URLs. Today: the canonical URL; near-duplicate text comes next."""
    return _digest("story", canonical)
