"""Evidence as HTML for the web page and the Atom feed of alerts: the shared highlighter (`Snippet.mark`, which
the notifier's renderers use too) with the matches in <mark> and everything from the feed escaped."""

from markupsafe import Markup, escape

from radar_shared.messages import Snippet


def highlight(snippet: Snippet) -> Markup:
    """A stored snippet with its matches in <mark>; everything from the feed is escaped."""
    return Markup(snippet.mark(Markup("<mark>"), Markup("</mark>"), escape))
