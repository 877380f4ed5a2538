"""`radar-notifier` / `python -m radar_notifier`: run the service in the foreground."""

from radar_notifier.config import SERVICE, NotifierConfig
from radar_shared.logging import configure_logging
from radar_shared.service_app import serve


def main() -> None:
    config = NotifierConfig.from_environment()  # the process's one settings object
    configure_logging(SERVICE, config.shared.log_level, config.shared.log_format)
    from radar_notifier.app import build_app

    serve(build_app(config), config.shared.http_host, config.service.http_port)


if __name__ == "__main__":
    main()
