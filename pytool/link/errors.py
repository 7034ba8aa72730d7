"""Exceptions of the serial link."""

from __future__ import annotations

from .protocol import command_name, status_name


class LinkError(Exception):
    """Base of every link failure."""


class DeviceGone(LinkError):
    """No valid answer after every try."""


class Nack(LinkError):
    """The device answered with an error status."""

    def __init__(self, command: int, status: int, url: str) -> None:
        self.command = command
        self.status = status
        self.status_name = status_name(status)
        super().__init__(f"{url}: {command_name(command)} rejected with {self.status_name} (0x{status:02X})")


class MessageError(LinkError, ValueError):
    """A response payload that does not follow its command's layout."""
