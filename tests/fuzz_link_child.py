"""Child process of the link fuzz campaign (runs under ASan/UBSan when the
parent preloads the sanitizer runtimes and sets TINYODL_SANITIZE=1): feeds
seeded malformed wire chunks to three in-process devices (built-in
commands + a test command, the weight store, training commands on the
digits model) and checks after every chunk that each answer is a response
frame, every error answer is empty, a CRC-valid request under the reserved
seq 0xFFFF changed nothing, and the device still answers INFO in sync.
Prints one JSON line: frames sent and findings."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzzkit  # noqa: E402

from pytool.link import protocol as proto  # noqa: E402
from pytool.link.demo_device import ACCUM_CMD, new_device  # noqa: E402


def _drain(dev) -> bytes:
    dev.poll()
    return dev.drain()


def devices(tmp: Path) -> list[tuple[str, object, list[int]]]:
    from pytool import compile_model
    from pytool.compiler import load_graph
    from pytool.link import persist_sim as ps
    from pytool.link.hostsim import SimDevice, build_device_module
    from pytool.training import TrainSpec

    builtin = [int(c) for c in proto.Cmd]
    out = [("demo", new_device(), builtin + [ACCUM_CMD])]
    ffi, lib = ps.link_module()
    nv = ps.SimNV(ffi, lib)
    store = ps.StoreLinkDevice(ffi, lib, nv)
    store.nv_keepalive = nv  # the device holds only nv's C pointer
    out.append(("store", store, builtin))
    g = load_graph(fuzzkit.DIGITS / "digits_int8_tf.tflite")
    art = compile_model(g, tmp / "fg", train=TrainSpec(method="forward-grad", trainable="last:1", seed=1))
    ffi, lib = build_device_module(
        "fuzz_train", (art.dir / "model.c").read_text().replace('#include "model.h"\n', ""),
        extra_c='#include "odl/link_train.h"\nint sim_register_train(odl_link_server_t *s) '
                "{ return odl_link_train_register(s); }",
        extra_cdef="int sim_register_train(odl_link_server_t *s);")
    dev = SimDevice(ffi, lib)
    assert lib.sim_register_train(dev.server) == 0
    out.append(("train", dev, builtin))
    return out


def main() -> None:
    n, seed, tmp = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    rng = np.random.default_rng(seed)
    findings: list[str] = []
    sent = 0
    seq = 100
    for name, dev, cmds in devices(tmp):
        reader = proto.FrameReader()
        for i in range(n):
            wire = fuzzkit.mutate_frame(rng, cmds)
            before = dev.snapshot() if name == "demo" else None
            dev.push(wire)
            frames = reader.feed(_drain(dev))
            sent += 1
            for f in frames:
                if not f.flags & proto.F_RESPONSE:
                    findings.append(f"{name} #{i}: answer without the response flag")
                if f.status != 0 and f.payload:
                    findings.append(f"{name} #{i}: error {f.status:#x} with a {len(f.payload)}-byte payload")
            if name == "demo" and len(wire) > 8 and wire[0] == 0:
                try:
                    fr = proto.decode(wire[1:-1])
                except proto.FrameError:
                    fr = None
                if fr is not None and fr.seq == proto.SEQ_NONE and dev.snapshot() != before:
                    findings.append(f"demo #{i}: a request with seq 0xFFFF was executed")
            seq = (seq + 1) % proto.SEQ_NONE
            dev.push(b"\x00" + proto.encode(proto.Frame(proto.Cmd.INFO, seq, b"")))
            answers = [f for f in reader.feed(_drain(dev)) if f.seq == seq]
            if not answers or answers[-1].status != 0:
                findings.append(f"{name} #{i}: no INFO answer after {len(wire)} bytes")
                reader = proto.FrameReader()
    print(json.dumps({"frames": sent, "findings": findings[:50], "n_findings": len(findings)}))


if __name__ == "__main__":
    main()
