"""How the command line speaks: a refused input is one line on standard error and exit status 2, never a
traceback; times and intervals are written as people read them."""

import sys
from datetime import datetime
from typing import NoReturn

import click


def fail(error: Exception | str) -> NoReturn:
    click.echo(f"radar: {error}", err=True)
    sys.exit(2)


def duration(seconds: float) -> str:
    """A poll interval as people say it: 45 s, 15 min, 2 h 30 min (never "0 min")."""
    if round(seconds) < 60:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"
