"""Host side of the training link commands (runtime_c/src/train/link_train.c):
TRAIN and EVAL one sample, READ_WEIGHTS for a digest or the trained bytes.
Same result dicts as pytool.host.HostModel.train_step / eval_sample, so the
training loop runs unchanged over a device."""

from __future__ import annotations

import struct

import numpy as np

from pytool.link.client import Link
from pytool.link.protocol import Cmd

STATS = struct.Struct("<iiiII")  # loss_q16, correct, predicted, step, flags


def _sample(link: Link, cmd: int, x: np.ndarray, label: int) -> dict:
    payload = struct.pack("<i", int(label)) + np.ascontiguousarray(x).tobytes()
    loss, correct, pred, step, flags = STATS.unpack(link.request(cmd, payload))
    return {"loss": loss / 65536.0, "loss_q16": loss, "correct": bool(correct), "predicted": pred,
            "step": step, "flags": flags}


def train_step(link: Link, x: np.ndarray, label: int) -> dict:
    return _sample(link, Cmd.TRAIN, x, label)


def eval_sample(link: Link, x: np.ndarray, label: int) -> dict:
    return _sample(link, Cmd.EVAL, x, label)


def set_lr_shift(link: Link, shift: int | None = None) -> int:
    """Rate of the following TRAINs: the configured rate / 2^shift (None: read only)."""
    payload = b"" if shift is None else struct.pack("<B", int(shift))
    return link.request(Cmd.SET_LR, payload)[0]


def weights_digest(link: Link) -> tuple[int, int, int]:
    """(CRC-32 of every trainable tensor in slot order, total bytes, tensor count)."""
    crc, total, n = struct.unpack("<IIH", link.request(Cmd.READ_WEIGHTS))
    return crc, total, n


def read_weights(link: Link, slot: int, nbytes: int) -> bytes:
    """The current bytes of trainable tensor `slot` (nbytes long), in chunks."""
    out = bytearray()
    while len(out) < nbytes:
        chunk = link.request(Cmd.READ_WEIGHTS, struct.pack("<HI", slot, len(out)))
        if not chunk:
            raise ValueError(f"READ_WEIGHTS slot {slot}: device stopped at {len(out)} of {nbytes} bytes")
        out += chunk
    return bytes(out[:nbytes])


def train_status(link: Link) -> dict:
    """Training steps so far and the tally of EVALs since the last step."""
    method, steps, n, correct = struct.unpack("<BIII", link.request(Cmd.TRAIN_STATUS))
    return {"method": method, "train_steps": steps, "eval_samples": n, "eval_correct": correct,
            "eval_accuracy": correct / n if n else None}
