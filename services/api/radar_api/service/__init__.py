"""The control plane's service layer: the one implementation of configuration rules, for the CLI, the REST API
and the web page alike. One module per aggregate (feeds, watches, subscriptions and their channels, deliveries,
watchlists, status); the isolation rules (who may see and change what) are in `ownership`, the errors in
`errors`. The pipeline services are reached only through their faces (decision 014).

Callers use `from radar_api import service` and `service.<name>`: every public name is re-exported here.
"""

from radar_api.service.deliveries import MAX_LISTED, alerts_per_day, list_deliveries, resend
from radar_api.service.errors import ConfigError, NotFoundError, QuotaError
from radar_api.service.feeds import DEFAULT_FEEDS, ImportReport, add_feed, export_feeds, import_feeds, list_feeds, remove_feed, seed_feeds, validate_feed_url
from radar_api.service.status import SERVICES, FeedStatus, ServiceStatus, Status, status
from radar_api.service.subscriptions import (
    ChannelRow, SubscriptionRow, add_subscription, get_subscription, list_channels, list_subscriptions, remove_subscription, send_test_alert,
    set_subscription_enabled, topic_names, update_subscription,
)
from radar_api.service.watches import add_watch, check_query, list_watches, remove_watch
from radar_api.service.watchlists import SAMPLE_WATCHLIST, import_watchlist, list_watchlists

__all__ = [
    "DEFAULT_FEEDS", "MAX_LISTED", "SAMPLE_WATCHLIST", "SERVICES", "ChannelRow", "ConfigError", "FeedStatus", "ImportReport", "NotFoundError", "QuotaError",
    "ServiceStatus", "Status", "SubscriptionRow", "add_feed", "add_subscription", "add_watch", "alerts_per_day", "check_query", "export_feeds",
    "get_subscription", "import_feeds", "import_watchlist", "list_channels", "list_deliveries", "list_feeds", "list_subscriptions", "list_watches",
    "list_watchlists", "remove_feed", "remove_subscription", "remove_watch", "resend", "seed_feeds", "send_test_alert", "set_subscription_enabled",
    "status", "topic_names", "update_subscription", "validate_feed_url",
]
