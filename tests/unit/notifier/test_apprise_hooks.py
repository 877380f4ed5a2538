"""Importing radar_notifier.channels changes nothing in Apprise (the control plane imports the notifier's face,
and with it, never a patched Apprise); a Sender installs the notifier's hooks, once however many are made."""

import subprocess
import sys

CODE = """
import logging, ssl
from apprise.plugins.email import smtp
import radar_notifier.channels as channels
import radar_notifier.operator
handlers = lambda: [h for h in logging.getLogger("apprise").handlers if type(h).__name__ == "_SendCapture"]
assert smtp.ssl is ssl, "importing the channels patched Apprise's SMTP"
assert not handlers(), "importing the channels added a log handler to Apprise"
from radar_shared.channel_urls import ChannelRules
rules = ChannelRules.of(["mailto"])
channels.Sender(rules, workers=1)
channels.Sender(rules, workers=1)
assert type(smtp.ssl).__name__ == "_SSLForApprise" and smtp.ssl.create_default_context is channels._LazyTLSContext
assert len(handlers()) == 1, handlers()
print("ok")
"""


def test_hooks_are_installed_by_a_sender_not_by_an_import() -> None:
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
