"""MCU targets: board registry, firmware builds, QEMU sessions, flashing."""

from pytool.targets.board import Board, BoardConfigError, QemuConfig, UnknownTargetError, boards, get_board
from pytool.targets.build import (
    FirmwareBuildError,
    ToolchainMissingError,
    build_firmware,
    toolchain_available,
)
from pytool.targets.flash import NoProbeError, flash
from pytool.targets.qemu import QemuError, QemuSession
from pytool.targets.size import FirmwareTooLargeError, size_report

__all__ = [
    "Board", "BoardConfigError", "FirmwareBuildError", "FirmwareTooLargeError", "NoProbeError",
    "QemuConfig", "QemuError", "QemuSession", "ToolchainMissingError", "UnknownTargetError",
    "boards", "build_firmware", "flash", "get_board", "size_report", "toolchain_available",
]  # fmt: skip
