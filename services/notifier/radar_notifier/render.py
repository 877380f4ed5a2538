"""Alert rendering (pure): email (subject, plain text, HTML) and Slack Block Kit, with feed text escaped."""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from radar_shared.messages import Article, Coverage, Snippet, Tag

# auto_reload off: the templates ship with the package, so no stat() of the file per rendering
_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True,
                   auto_reload=False)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


class RenderedAlert:
    """An alert's subject, plain text, HTML and Slack Block Kit payload ({"text": fallback, "blocks": [...]}).

    The text and the HTML may be given as functions: they are rendered on first use (and kept), since a Slack
    webhook needs neither and the templates are most of the cost of rendering. The rendering is pure, so two
    threads that use it at once at worst render it twice."""

    __slots__ = ("subject", "slack", "_text", "_html")

    def __init__(self, subject: str, text: str | Callable[[], str], html: str | Callable[[], str], slack: dict[str, Any]) -> None:
        self.subject = subject
        self.slack = slack
        self._text = text
        self._html = html

    @property
    def text(self) -> str:
        if not isinstance(self._text, str):
            self._text = self._text()
        return self._text

    @property
    def html(self) -> str:
        if not isinstance(self._html, str):
            self._html = self._html()
        return self._html

    def __repr__(self) -> str:
        return f"RenderedAlert(subject={self.subject!r})"


@dataclass(frozen=True)
class FeedbackLinks:
    relevant: str
    not_relevant: str


@dataclass(frozen=True)
class DigestItem:
    article: Article
    tags: list[Tag]
    coverage: list[Coverage]  # later reports of the same story
    feedback: FeedbackLinks | None = None  # this story's "relevant / not relevant" links


def one_line(value: str, limit: int = 200) -> str:
    """No CR, LF or other control characters (no header injection), and a bounded length."""
    text = _CONTROL.sub(" ", value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _html_marked(snippet: Snippet) -> Markup:
    return Markup(snippet.mark(Markup("<mark>"), Markup("</mark>"), escape))


def _text_marked(snippet: Snippet) -> str:
    return snippet.mark("**", "**")


def tag_label(tag: Tag) -> str:
    return tag.tag


def slack_escape(text: str) -> str:
    """Slack's three control characters; with them escaped, feed text cannot mention (`<!channel>`) or
    disguise a link (`<http://evil|bank>`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else ""


def _slack_link(url: str, label: str) -> str:
    if not url:
        return label
    return f"<{slack_escape(url).replace('|', '%7C')}|{label}>"


def _published(article: Article) -> str:
    return article.published_at.strftime("%Y-%m-%d %H:%M UTC") if article.published_at else "unknown time"


def _slack_mark(snippet: Snippet) -> str:
    # *…* around each match; the text between is escaped, and no line break may end a quote.
    return snippet.mark("*", "*", slack_escape).replace("\n", " ")


def _slack_story(article: Article, tags: list[Tag], snippets: int) -> str:
    title = slack_escape(one_line(article.title, 300))
    lines = [f"*{_slack_link(safe_url(article.url), title)}*", f"{slack_escape(one_line(article.source, 100))} · {_published(article)}"]
    for t in tags:
        lines.append(f"• `{slack_escape(t.tag)}` score {t.score:.2f}")
        lines += [f"> {_slack_mark(s)}" for s in t.snippets[:snippets]]
    return "\n".join(lines)[:2900]  # a section's text is at most 3,000 characters


def render_alert(article: Article, tags: list[Tag]) -> RenderedAlert:
    topics = ", ".join(tag_label(t) for t in tags)
    subject = one_line(f"[Radar] {topics}: {article.title}", 250)
    published = _published(article)
    url = safe_url(article.url)
    context = {"article": article, "tags": tags, "published": published, "url": url}
    text = functools.partial(_env.get_template("alert.txt.j2").render, **context, marked=_text_marked)
    html = functools.partial(_env.get_template("alert.html.j2").render, **context, marked=_html_marked)
    slack = {
        "text": slack_escape(subject),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _slack_story(article, tags, snippets=2)}}],
    }
    return RenderedAlert(subject=subject, text=text, html=html, slack=slack)


def with_feedback(alert: RenderedAlert, links: FeedbackLinks) -> RenderedAlert:
    """The alert with "relevant / not relevant" links (signed per delivery) in its text, HTML and Slack message.
    Applied after rendering, so that one rendering serves every subscriber of an article."""
    relevant, not_relevant = safe_url(links.relevant), safe_url(links.not_relevant)

    def text() -> str:
        return f"{alert.text.rstrip()}\n\nWas this alert useful? Relevant: {relevant}\nNot relevant: {not_relevant}\n"

    def html() -> str:
        footer = Markup('<p style="color:#57606a">Was this alert useful? <a href="{}">Relevant</a> · <a href="{}">Not relevant</a></p>').format(relevant, not_relevant)
        return alert.html.replace("</body>", f"{footer}</body>", 1) if "</body>" in alert.html else alert.html + footer

    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Was this alert useful? {_slack_link(relevant, 'Relevant')} · {_slack_link(not_relevant, 'Not relevant')}"}]}
    slack = {**alert.slack, "blocks": [*alert.slack.get("blocks", []), block]}
    return RenderedAlert(alert.subject, text, html, slack)


MAX_SLACK_STORIES = 45  # Block Kit allows 50 blocks per message


def render_digest(items: list[DigestItem], schedule: str) -> RenderedAlert:
    """One message for many stories, oldest first, each with its evidence."""
    topics = sorted({t.tag for item in items for t in item.tags})
    n = len(items)
    subject = one_line(f"[Radar] {schedule} digest: {n} {'story' if n == 1 else 'stories'} on {', '.join(topics)}", 250)
    stories = [
        {"article": i.article, "tags": i.tags, "published": _published(i.article), "url": safe_url(i.article.url),
         "coverage": [{"source": c.source, "title": c.title, "url": safe_url(c.url)} for c in i.coverage],
         "feedback": FeedbackLinks(safe_url(i.feedback.relevant), safe_url(i.feedback.not_relevant)) if i.feedback else None}
        for i in items
    ]
    text = _env.get_template("digest.txt.j2").render(subject=subject, stories=stories, marked=_text_marked)
    html = _env.get_template("digest.html.j2").render(subject=subject, stories=stories, marked=_html_marked)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": subject[:150]}}]
    for i in items[:MAX_SLACK_STORIES]:
        story = _slack_story(i.article, i.tags, snippets=1)
        if i.coverage:
            story += "\nAlso: " + ", ".join(slack_escape(one_line(c.source, 60)) for c in i.coverage[:5])
        if i.feedback:
            story += f"\nUseful? {_slack_link(safe_url(i.feedback.relevant), 'Relevant')} · {_slack_link(safe_url(i.feedback.not_relevant), 'Not relevant')}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": story[:2900]}})
    if n > MAX_SLACK_STORIES:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {n - MAX_SLACK_STORIES} more stories (see the email digest or the web page)"}]})
    return RenderedAlert(subject=subject, text=text, html=html, slack={"text": slack_escape(subject), "blocks": blocks})
