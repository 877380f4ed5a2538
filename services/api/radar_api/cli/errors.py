"""The command line never shows a traceback for a database or broker it cannot use, or a setting it cannot read:
one line naming the setting, and exit status 2, like any other bad input. SQLAlchemy and aiokafka are imported here only if a command has
already imported them, since only then can their errors occur."""

import sys
from typing import TYPE_CHECKING, Any

import click

from radar_api.cli.output import fail

if TYPE_CHECKING:
    from sqlalchemy.exc import SQLAlchemyError


def database_problem(error: "SQLAlchemyError") -> str:
    """What is wrong with DATABASE_URL, in one line, without the URL itself (it may hold a password)."""
    from sqlalchemy.exc import ArgumentError

    if isinstance(error, ArgumentError):
        return "not a database URL Radar can use (sqlite:///PATH or postgresql://USER:PASSWORD@HOST/NAME)"
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    hint = "; run `radar db upgrade`" if "no such table" in reason or "does not exist" in reason else ""
    return f"cannot use the database: {reason}{hint}"


def setting_problem(loc: tuple, message: str) -> str:
    """One line for a setting that cannot be read; messages of Radar's own validators already name the setting."""
    message = message.removeprefix("Value error, ")
    return message if message.split(":")[0].isupper() else f"{'.'.join(map(str, loc)).upper()}: {message}"


class RadarCommands(click.Group):
    """A command group that turns a database, Kafka or settings error into one line naming the setting, and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            if "sqlalchemy" in sys.modules:
                from sqlalchemy.exc import SQLAlchemyError

                if isinstance(error, SQLAlchemyError):
                    fail(f"DATABASE_URL: {database_problem(error)}")
            if "aiokafka" in sys.modules:
                from aiokafka.errors import KafkaError

                from radar_shared.settings import SharedSettings

                if isinstance(error, KafkaError):
                    fail(f"KAFKA_BOOTSTRAP_SERVERS: cannot use Kafka at {SharedSettings().kafka_bootstrap_servers}: {error}")
            if "pydantic" in sys.modules:
                from pydantic import ValidationError

                if isinstance(error, ValidationError) and error.title.endswith("Settings"):  # a setting that cannot be read
                    fail("; ".join(setting_problem(e["loc"], str(e["msg"])) for e in error.errors()))
            raise
