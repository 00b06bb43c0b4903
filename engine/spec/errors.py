"""The exception types every layer raises; a GstError is a user-facing one-line message."""

from __future__ import annotations


class GstError(Exception):
    """An expected failure with a one-line message meant for the user."""


class SpecError(GstError):
    """A preset, spec or override is invalid (the message names the key and what is allowed)."""


class DataError(GstError):
    """A data set cannot be found or read."""


class DeviceError(GstError):
    """The requested device does not exist on this machine."""


class StoreError(GstError):
    """The database file cannot be opened, read or written."""
