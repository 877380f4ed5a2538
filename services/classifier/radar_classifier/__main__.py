"""`radar-classifier` / `python -m radar_classifier`: run the service in the foreground."""

from radar_classifier.config import SERVICE, ClassifierConfig
from radar_shared.logging import configure_logging
from radar_shared.service_app import serve


def main() -> None:
    config = ClassifierConfig.from_environment()  # the process's one settings object
    configure_logging(SERVICE, config.shared.log_level, config.shared.log_format)
    from radar_classifier.app import build_app

    serve(build_app(config), config.shared.http_host, config.service.http_port)


if __name__ == "__main__":
    main()
