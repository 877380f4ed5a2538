"""What commands read besides their arguments: the settings, the database URL, the channel rules and the service
layer. Nothing here is imported or read before a command asks for it: the service layer is a lazy module, and the
settings are read on each call (a test may change the environment between two commands)."""

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from radar_shared.channel_urls import ChannelRules
    from radar_shared.settings import SharedSettings


def _lazy_module(name: str) -> ModuleType:
    """`name`, imported on first use of one of its attributes (the recipe of importlib's documentation)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


service = _lazy_module("radar_api.service")


def shared_settings() -> "SharedSettings":
    from radar_shared.settings import SharedSettings

    return SharedSettings()


def database_url() -> str:
    return shared_settings().database_url


def channel_rules() -> "ChannelRules":
    from radar_shared.channel_urls import ChannelRules
    from radar_shared.settings import ChannelSettings

    return ChannelRules.from_settings(ChannelSettings())
