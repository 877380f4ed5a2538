"""`radar` starts lazily: help imports neither the database layer nor Apprise nor the classifier, and a
command imports only what it uses (`radar --help` in well under 0.3 s; simple commands under 0.8 s)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from radar_api.cli import main

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "apprise", "faststream", "aiokafka", "httpx", "babel", "trafilatura", "uvicorn", "fastapi",
         "radar_classifier", "radar_notifier", "radar_feed_watcher", "radar_api.service")


def modules_after(*argv: str) -> set[str]:
    """The modules a fresh interpreter has imported after running `radar ARGV`."""
    code = (
        "import sys, json\n"
        "from radar_api.cli import main\n"
        f"sys.argv = ['radar', *{list(argv)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stdout = sys.__stdout__\n"
        "print('\\n' + json.dumps(sorted(m for m, mod in list(sys.modules.items()) if type(mod).__name__ != '_LazyModule')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"DATABASE_URL": "sqlite:///:memory:", "PATH": ""}).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [("--help",), ("feeds", "--help"), ("classify", "--help"), ("status", "--help"), ("users", "--help")])
def test_help_imports_nothing_heavy(argv: tuple[str, ...]) -> None:
    loaded = modules_after(*argv)
    assert not {m for m in loaded for heavy in HEAVY if m == heavy or m.startswith(heavy + ".")}


def test_classify_without_a_database_file_tags_without_importing_sqlalchemy_or_creating_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "radar.db"
    code = (
        "import sys, json\n"
        "from radar_api.cli import main\n"
        "sys.argv = ['radar', 'classify']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m, mod in list(sys.modules.items()) if type(mod).__name__ != '_LazyModule')))\n"
    )
    article = json.dumps({"title": "UN tightens sanctions on North Korea", "text": "Russian tankers deliver fuel to North Korea, evading sanctions."})
    run = subprocess.run([sys.executable, "-c", code], input=article + "\n", capture_output=True, text=True, check=True,
                         env={"DATABASE_URL": f"sqlite:///{missing}", "PATH": ""})
    tagged, loaded = (json.loads(line) for line in run.stdout.splitlines())
    assert "dprk-sanctions" in [t["tag"] for t in tagged["tags"]], "the built-in topics still tag"
    assert not {m for m in loaded if m.split(".")[0] in ("sqlalchemy", "sqlmodel")}
    assert not missing.exists()


def test_a_database_command_does_not_import_apprise_or_kafka() -> None:
    loaded = modules_after("feeds", "list")
    assert "sqlmodel" in loaded, "the command ran"
    assert not {m for m in loaded if m.split(".")[0] in ("apprise", "aiokafka")}


@pytest.mark.parametrize("command", sorted(main.commands))
def test_python_m_reaches_every_command(command: str) -> None:
    """`python -m radar_api.cli users --help` once said "No such command": main() ran before `users` was defined."""
    run = subprocess.run([sys.executable, "-m", "radar_api.cli", command, "--help"], capture_output=True, text=True, env={"PATH": ""})
    assert run.returncode == 0, run.stderr
    assert f"Usage: python -m radar_api.cli {command} " in run.stdout


def test_the_console_script_reaches_a_group() -> None:
    radar = Path(sys.executable).parent / "radar"
    run = subprocess.run([str(radar), "users", "--help"], capture_output=True, text=True, env={"PATH": ""})
    assert run.returncode == 0, run.stderr
    assert "Usage: radar users " in run.stdout and "add" in run.stdout and "list" in run.stdout
