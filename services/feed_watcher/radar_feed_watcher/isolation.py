"""Old name of parser_pool.py, kept only until radar_api.preview (services/api, not this branch's) imports
ParserPool from radar_feed_watcher.parser_pool: the integrator deletes this file at merge time."""

from radar_feed_watcher.parser_pool import ParserPool

__all__ = ["ParserPool"]
