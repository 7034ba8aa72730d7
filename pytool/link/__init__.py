"""Serial link to a device running the tinyodl runtime (docs/design/link.md)."""

from .client import Link
from .errors import DeviceGone, LinkError, MessageError, Nack
from .messages import DeviceInfo, Stats, TensorSpec
from .protocol import Cmd, Frame, FrameError, LinkStatus, status_name

__all__ = [
    "Cmd", "DeviceGone", "DeviceInfo", "Frame", "FrameError", "Link", "LinkError", "LinkStatus",
    "MessageError", "Nack", "Stats", "TensorSpec", "status_name",
]
