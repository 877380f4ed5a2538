"""What the service layer refuses, as the REST API (400, 403, 404), the web page and the CLI show it. Every
message names the field or the thing it is about."""


class ConfigError(ValueError):
    """Invalid configuration input. The message names the field."""


class NotFoundError(LookupError):
    """No such thing, or not the actor's: the two are told apart for nobody (decision 007)."""


class QuotaError(ConfigError):
    """A user has as many of something as they may have."""
