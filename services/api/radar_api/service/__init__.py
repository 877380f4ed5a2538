"""The control plane's service layer: the one implementation of configuration rules, for the CLI, the REST API
and the web page alike. One module per aggregate (feeds, watches, subscriptions and their channels, deliveries,
watchlists, and `monitoring`: the status of services and feeds); the isolation rules (who may see and change what) are in `ownership`, the errors in
`errors`, what text a store can hold in `text`. The pipeline services are reached only through their faces (decision 014).

Callers use `from radar_api import service` and `service.<name>`: every public name is reachable here. A name
is imported from its module on first use (PEP 562), so a command of the CLI that lists feeds loads the feeds
module alone, not the faces of the classifier and the notifier that subscriptions need (`radar feeds list` took
1.3 s instead of 0.6 s with every aggregate imported here).
"""

import importlib
from typing import TYPE_CHECKING, Any

_MODULES = {
    "deliveries": ("MAX_LISTED", "alert_record", "alerts_per_day", "list_deliveries", "resend"),
    "errors": ("ConfigError", "NotFoundError", "QuotaError"),
    "feeds": ("DEFAULT_FEEDS", "ImportReport", "add_feed", "export_feeds", "import_feeds", "list_feeds", "remove_feed", "seed_feeds", "validate_feed_url"),
    "monitoring": ("SERVICES", "FeedStatus", "InstanceStatus", "ServiceStatus", "Status", "replica_metrics", "replicas", "status"),  # not "status": the function would meet the module
    "subscriptions": (
        "ChannelRow", "SubscriptionRow", "add_subscription", "get_subscription", "list_channels", "list_subscriptions", "remove_subscription",
        "send_test_alert", "set_subscription_enabled", "topic_names", "update_subscription",
    ),
    "text": ("check_text", "text_refusal"),
    "watches": ("add_watch", "check_query", "list_watches", "remove_watch"),
    "watchlists": ("SAMPLE_WATCHLIST", "ClearRow", "clear_entry", "import_watchlist", "list_clears", "list_watchlists", "remove_clear"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _HOME[name]
    loaded = importlib.import_module(f"{__name__}.{module}")
    globals().update({n: getattr(loaded, n) for n in _MODULES[module]})  # the next use is a plain attribute
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from radar_api.service.deliveries import MAX_LISTED, alert_record, alerts_per_day, list_deliveries, resend
    from radar_api.service.errors import ConfigError, NotFoundError, QuotaError
    from radar_api.service.feeds import DEFAULT_FEEDS, ImportReport, add_feed, export_feeds, import_feeds, list_feeds, remove_feed, seed_feeds, validate_feed_url
    from radar_api.service.monitoring import SERVICES, FeedStatus, ServiceStatus, Status, status
    from radar_api.service.subscriptions import (
        ChannelRow,
        SubscriptionRow,
        add_subscription,
        get_subscription,
        list_channels,
        list_subscriptions,
        remove_subscription,
        send_test_alert,
        set_subscription_enabled,
        topic_names,
        update_subscription,
    )
    from radar_api.service.text import check_text, text_refusal
    from radar_api.service.watches import add_watch, check_query, list_watches, remove_watch
    from radar_api.service.watchlists import SAMPLE_WATCHLIST, ClearRow, clear_entry, import_watchlist, list_clears, list_watchlists, remove_clear
