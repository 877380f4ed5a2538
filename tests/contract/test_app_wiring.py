"""Importing a service's app module does nothing but define its wiring (docs/architecture.md, Wiring): it reads
no setting, opens no data file (the classifier's lexicons and rules, the feedback secret) and patches no
library (Apprise's Slack webhook base, the guarded resolver, the requests hook). All of that happens when the
process starts the app. Each module is imported in a fresh interpreter, so nothing an earlier test imported counts.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_MODULES = ["radar_classifier.app", "radar_notifier.app"]

PROBE = r"""
import importlib, json, socket, sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
import pydantic_settings
import requests.adapters
from apprise.plugins.slack import NotifySlack
built = []
original_init = pydantic_settings.BaseSettings.__init__
def recording_init(self, *args, **kwargs):
    built.append(type(self).__name__)
    original_init(self, *args, **kwargs)
pydantic_settings.BaseSettings.__init__ = recording_init
hooks = lambda: {"NotifySlack.webhook_url": NotifySlack.__dict__.get("webhook_url"), "socket.getaddrinfo": socket.getaddrinfo,
                 "requests HTTPAdapter.send": requests.adapters.HTTPAdapter.send}
before = hooks()
importlib.import_module(sys.argv[1])
after = hooks()
print(json.dumps({"settings": built, "opened": opened, "patched": sorted(k for k in before if after[k] is not before[k])}))
"""


def import_report(module: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, f"importing {module} failed:\n{out.stderr[-3000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def data_files(opened: list[str]) -> list[str]:
    """Files of the project (not its code, not the installed libraries) that were opened."""
    project = [Path(p).resolve() for p in opened if not p.startswith("/proc/")]
    return sorted({str(p.relative_to(ROOT)) for p in project if p.is_relative_to(ROOT) and not p.is_relative_to(ROOT / ".venv") and p.suffix not in (".py", ".pyc")})


@pytest.mark.parametrize("module", APP_MODULES)
def test_importing_the_app_reads_no_settings_loads_nothing_and_patches_nothing(module: str) -> None:
    report = import_report(module)
    found = {"settings built": report["settings"], "project files opened": data_files(report["opened"]), "libraries patched": report["patched"]}
    assert found == {"settings built": [], "project files opened": [], "libraries patched": []}, f"importing {module} does work that belongs to start-up"
