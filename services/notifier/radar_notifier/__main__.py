"""`radar-notifier` / `python -m radar_notifier`: run the service in the foreground."""

from radar_notifier.config import SERVICE, NotifierSettings
from radar_shared.logging import configure_logging
from radar_shared.service_app import serve
from radar_shared.settings import SharedSettings


def main() -> None:
    shared = SharedSettings()
    configure_logging(SERVICE, shared.log_level, shared.log_format)
    from radar_notifier.app import app

    serve(app, shared.http_host, NotifierSettings().http_port)


if __name__ == "__main__":
    main()
