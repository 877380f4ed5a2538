import pytest

from radar_notifier.channels import configure_slack
from tests.support.sinks import HTTPSink


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    """A Slack incoming-webhook stand-in that the notifier posts to."""
    sink = HTTPSink().start()
    configure_slack(f"{sink.url}/services")
    yield sink
    sink.stop()
    configure_slack("https://hooks.slack.com/services")
