"""Models with several subgraphs (tf.Variable state, IF, WHILE; the converter
fixtures of tests/fixtures/ops/): instructions per invoke on the QEMU boards,
output bytes equal to the host, flash and RAM (bench/targets.py does the
measuring). The WHILE models run a fixed number of iterations (4 or 5).

    .venv/bin/python bench/control_flow.py [--targets mps2-an386 mps3-an547] [--out bench/results/control_flow.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import targets  # noqa: E402

MODELS = ["resource_var_int8", "resource_var_q_int8", "if_cond_int8", "while_loop_int8", "while_lstm_int8",
          "while_if_int8"]


def main(argv: list[str]) -> int:
    return targets.main(["--models", *MODELS, *(argv or ["--targets", "mps2-an386", "mps3-an547"])])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
