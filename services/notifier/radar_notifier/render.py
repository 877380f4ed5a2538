"""Alert rendering (pure): email (subject, plain text, HTML) and Slack mrkdwn, with feed text escaped."""

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from radar_shared.messages import Article, Snippet, Tag

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class RenderedAlert:
    subject: str
    text: str
    html: str
    slack: str


def one_line(value: str, limit: int = 200) -> str:
    """No CR, LF or other control characters (no header injection), and a bounded length."""
    text = _CONTROL.sub(" ", value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _marked(snippet: Snippet, open_: str, close: str, esc) -> str:  # type: ignore[no-untyped-def]
    out, pos = [], 0
    for span in sorted(snippet.highlights, key=lambda s: s.start):
        if span.start < pos:
            continue
        out += [esc(snippet.text[pos : span.start]), open_, esc(snippet.text[span.start : span.end]), close]
        pos = span.end
    out.append(esc(snippet.text[pos:]))
    return "".join(str(x) for x in out)


def tag_label(tag: Tag) -> str:
    return tag.tag


def render_alert(article: Article, tags: list[Tag]) -> RenderedAlert:
    topics = ", ".join(tag_label(t) for t in tags)
    subject = one_line(f"[Radar] {topics}: {article.title}", 250)
    published = article.published_at.strftime("%Y-%m-%d %H:%M UTC") if article.published_at else "unknown time"
    url = article.url if article.url.startswith(("http://", "https://")) else ""
    context = {"article": article, "tags": tags, "published": published, "url": url}
    text = _env.get_template("alert.txt.j2").render(**context, marked=lambda s: _marked(s, "**", "**", str))
    html = _env.get_template("alert.html.j2").render(**context, marked=lambda s: Markup(_marked(s, Markup("<mark>"), Markup("</mark>"), escape)))
    # Slack gets plain text: Apprise escapes &, < and > of TEXT bodies exactly once and, unlike its MARKDOWN
    # path, never turns an escaped `&lt;!channel&gt;` back into a mention (tests/unit/notifier checks the sink).
    lines = [one_line(article.title, 300), f"{article.source} · {published}"]
    for t in tags:
        lines.append(f"• {t.tag} (score {t.score:.2f})")
        for s in t.snippets[:2]:
            lines.append("   " + _marked(s, "«", "»", str).replace("\n", " "))
    if url:
        lines.append(url)
    return RenderedAlert(subject=subject, text=text, html=html, slack="\n".join(lines))
