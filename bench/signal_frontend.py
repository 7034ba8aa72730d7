"""The micro_speech-style audio preprocessor of TFLite Micro's signal library
(window -> fft auto scale -> rfft 512 -> energy -> 40-channel filter bank ->
sqrt -> spectral subtraction -> pcan -> log, one 30 ms frame of 480 samples):
instructions per frame on the QEMU boards, output bytes equal to the host.
The model is built like tests/test_signal_ops.py builds it.

    .venv/bin/python bench/signal_frontend.py [--targets mps2-an386 mps3-an547] [--out bench/results/signal.json]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from signal_build import preprocessor_model  # noqa: E402

from bench import targets  # noqa: E402


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "signal_frontend.tflite"
        path.write_bytes(preprocessor_model())
        return targets.main(["--models", str(path), *(argv or ["--targets", "mps2-an386", "mps3-an547"])])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
