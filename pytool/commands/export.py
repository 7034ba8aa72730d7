"""tinyodl export --port URL --build DIR -o tuned.tflite: the device's trained
weights written into a .tflite any TFLite interpreter runs."""

from __future__ import annotations

import argparse

from pytool.commands._common import out


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", required=True, help="socket://host:port (QEMU) or the board's serial port")
    p.add_argument("--build", required=True,
                   help="the build folder the device runs (finetune: <report>/build; compile: its -o)")
    p.add_argument("-o", "--out", required=True, help=".tflite to write")


def run(args) -> int:
    import json
    from pathlib import Path

    from pytool.export import export_tflite
    from pytool.link import Link, persist

    meta = json.loads((Path(args.build) / "model.json").read_text())
    with Link(args.port, timeout=10.0) as link:
        info = link.info()
        if info.model_hash != int(meta["hash"], 16):
            raise ValueError(f"the device runs model {info.model_hash:#010x}, {args.build} is {meta['hash']}")
        payload, digest = persist.read_weights(link)
        summary = persist.summary(link)
    export_tflite(args.build, payload, args.out)
    out.print(f"wrote {args.out}: weights of generation {summary.generation} "
              f"({'uncommitted changes included' if summary.dirty else 'as committed'}), sha256 {digest[:16]}…")
    return 0
