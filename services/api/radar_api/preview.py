"""Transitional: `radar feeds preview` (cli.py) imports the preview from here until the CLI split (radar_api/cli/)
is merged. The preview itself is the feed-watcher's face, `radar_feed_watcher.preview`; the integrator points
the CLI there and deletes this module (decision 014)."""

from radar_feed_watcher.preview import preview_file, preview_url

__all__ = ["preview_file", "preview_url"]
