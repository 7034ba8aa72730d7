"""A fleet device that is a board (QEMU or real) behind tinyodl's serial link.

It offers what methods.py and node.py use of an EmulatedDevice, over the
link: TRAIN for local steps, READ_WEIGHTS / WRITE_WEIGHTS / COMMIT / RESET
for the store, and FLEET_FG (odl/link_fleet.h) to set the forward-gradient
step, read each step's record and replay merged records on the board. The
host twin (the same build, emulated) only supplies the model's layout."""

from __future__ import annotations

import struct

import numpy as np

from pytool.fleet.device import EmulatedDevice
from pytool.link import persist
from pytool.link import train as lt
from pytool.link.client import Link

CMD_FLEET_FG = 0x40
TOKEN = struct.Struct("<II")  # store generation, committed CRC: what the gateway saw last


class LinkDevice:
    def __init__(self, link: Link, build_dir):
        self.link = link
        twin = EmulatedDevice(build_dir)
        info = link.info()
        if info.model_hash != twin.model_hash:
            raise RuntimeError(f"{link.port.name if hasattr(link, 'port') else 'device'} runs model "
                               f"{info.model_hash:#010x}, the fleet's build is {twin.model_hash:#010x}")
        self.method, self.directions, self.layout = twin.method, twin.directions, twin.layout
        self.payload_size, self.model_hash, self.inputs = twin.payload_size, twin.model_hash, twin.inputs
        self.lost = False

    # ---- store --------------------------------------------------------------
    def boot(self, image: bytes | None) -> int:
        """Back to the committed weights. `image` is the token of the last
        boot/commit this gateway saw; a board whose store changed behind its
        back (or a gateway without a token) starts again from the factory."""
        s = persist.summary(self.link)
        self.lost = False
        if image is None or len(image) != TOKEN.size or TOKEN.unpack(image) != (s.generation, s.committed_crc):
            if s.generation != 0:
                persist.reset(self.link, factory=True)
            self.lost = image is not None
        return persist.reset(self.link).generation

    def image(self) -> bytes:
        s = persist.summary(self.link)
        return TOKEN.pack(s.generation, s.committed_crc)

    @property
    def generation(self) -> int:
        return persist.summary(self.link).generation

    def commit(self) -> int:
        return persist.commit(self.link).generation

    def payload(self) -> bytes:
        return persist.read_weights(self.link)[0]

    def set_payload(self, data: bytes) -> None:
        persist.write_weights(self.link, data)

    def payload_crc(self) -> int:
        return persist.digest(self.link)[0]

    # ---- training -----------------------------------------------------------
    def train_step(self, x: np.ndarray, label: int) -> dict:
        return lt.train_step(self.link, x, label)

    def eval_sample(self, x: np.ndarray, label: int) -> dict:
        return lt.eval_sample(self.link, x, label)

    def fg_set_step(self, step: int) -> None:
        self.link.request(CMD_FLEET_FG, b"\x01" + struct.pack("<I", step & 0xFFFFFFFF))

    def fg_last(self) -> tuple[int, np.ndarray]:
        resp = self.link.request(CMD_FLEET_FG, b"\x00")
        if len(resp) != 4 + 4 * self.directions:
            raise RuntimeError(f"FLEET_FG: {len(resp)}-byte record, expected {4 + 4 * self.directions}")
        return struct.unpack_from("<I", resp)[0], np.frombuffer(resp, "<i4", self.directions, 4).astype(np.int32)

    def fg_replay(self, records: list[tuple[int, np.ndarray]]) -> int:
        rec = 4 + 4 * self.directions
        per = max(1, (self.link.max_payload - 3) // rec)
        clipped = 0
        for i in range(0, len(records), per):
            chunk = records[i:i + per]
            body = b"".join(struct.pack("<I", s & 0xFFFFFFFF) + np.asarray(d, "<i4").tobytes() for s, d in chunk)
            resp = self.link.request(CMD_FLEET_FG, b"\x02" + struct.pack("<H", len(chunk)) + body)
            n, c = struct.unpack("<HH", resp)
            if n != len(chunk):
                raise RuntimeError(f"FLEET_FG replay applied {n} of {len(chunk)} records")
            clipped += c
        return clipped
