"""`radar`: the command line of Radar's control plane, one module per command group, assembled in `app.py`.

Start-up is lazy, and stays so: importing this package imports click and the command modules, nothing else. Each
command imports what it uses (the service layer, SQLAlchemy, Apprise, the classifier, Kafka) when it runs, so that
`radar --help` answers in well under 0.3 s and a simple command in under 0.8 s (`bench/cli.py` prints the figures;
`tests/unit/api/test_cli_startup.py` checks the imports). The pipeline services' modules are imported only inside
commands: `grep -rn "from radar_\\(feed_watcher\\|classifier\\|notifier\\)" radar_api/cli/` lists every one.
"""

from radar_api.cli.app import main

__all__ = ["main"]
