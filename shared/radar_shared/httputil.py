"""Old name of retry_after.py, kept only until radar_notifier.channels (another branch's file) imports
parse_retry_after from radar_shared.retry_after: the integrator deletes this file at merge time."""

from radar_shared.retry_after import parse_retry_after

__all__ = ["parse_retry_after"]
