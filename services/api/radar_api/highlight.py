"""The one highlighter of stored evidence (pure): a snippet's matched ranges in <mark>, everything else escaped.
Used by the web page and the Atom feed of alerts."""

from markupsafe import Markup, escape


def highlight(snippet: dict) -> Markup:
    """A stored snippet with its matches in <mark>; everything from the feed is escaped."""
    text, out, pos = str(snippet.get("text", "")), [], 0
    for span in sorted(snippet.get("highlights", []), key=lambda h: h.get("start", 0)):
        start, end = int(span.get("start", 0)), int(span.get("end", 0))
        if start < pos or end > len(text):
            continue
        out += [escape(text[pos:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)
