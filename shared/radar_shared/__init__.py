"""Radar's shared library: wire schemas, settings, broker and ASGI factories, database, logging."""

__version__ = "0.1.0"
