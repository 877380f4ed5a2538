"""Work a service does on a clock of its own (repeat) and the configuration it re-reads from the database
(ConfigReloader). A failed round is logged and the next one goes on: a loop never dies of one error."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("radar.runtime")


async def repeat(step: Callable[[], Awaitable[Any]], interval: float, what: str) -> None:
    """Run `step` every `interval` seconds for ever; a failure is logged and the next round goes on."""
    while True:
        try:
            await step()
        except Exception:
            log.exception("%s failed; trying again", what)
        await asyncio.sleep(interval)


class ConfigReloader:
    """Re-reads configuration from the database every CONFIG_RELOAD_SECONDS and applies it when it changed."""

    def __init__(self, name: str, load: Callable[[], Any], apply: Callable[[Any], None], interval: float) -> None:
        self.name = name
        self.load = load
        self.apply = apply
        self.interval = interval
        self._last: Any = object()

    def reload(self) -> bool:
        value = self.load()
        if value == self._last:
            return False
        self.apply(value)
        self._last = value
        log.info("configuration loaded", extra={"config": self.name, "count": len(value) if hasattr(value, "__len__") else None})
        return True

    async def run_forever(self) -> None:
        await repeat(lambda: asyncio.to_thread(self.reload), self.interval, f"reloading {self.name}")
