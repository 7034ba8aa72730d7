"""bench/qemu_profile.py: instructions per function from QEMU's in_asm + exec log."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.append(str(ROOT / "bench"))
import qemu_profile as qp  # noqa: E402

LOG = """\
----------------
IN: odl_train_step
0x00001000:  b508       push     {r3, lr}
0x00001002:  f000 f8eb  bl       #0x2000

Trace 0: 0x7f00 [00000000/00001000/00000110/ff020200] odl_train_step
----------------
IN: odl_fc_f16_fw
0x00002000:  4a1a       ldr      r2, [pc, #0x68]
0x00002002:  491b       ldr      r1, [pc, #0x6c]
0x00002004:  428a       cmp      r2, r1

Trace 0: 0x7f10 [00000000/00002000/00000110/ff020200] odl_fc_f16_fw
Trace 0: 0x7f10 [00000000/00002000/00000110/ff020200] odl_fc_f16_fw
----------------
IN: main
0x00003000:  e7fe       b        #0x3000

Trace 0: 0x7f20 [00000000/00003000/00000110/ff020200] main
Trace 0: 0x7f00 [00000000/00001000/00000110/ff020200] odl_train_step
Trace 0: 0x7f10 [00000000/00002000/00000110/ff020200] odl_fc_f16_fw
"""


def test_window_counts_each_executed_block_by_its_size(tmp_path):
    log = tmp_path / "q.log"
    log.write_text(LOG)
    src = {"odl_fc_f16_fw": "/r/runtime_c/src/kernels/fp16/fully_connected.c"}
    first = qp.parse_log(log, 0x1000, occurrence=1, sources=src)
    assert dict(first.functions) == {"odl_train_step": 2, "odl_fc_f16_fw": 6}  # main (the link) left out
    assert first.buckets() == {"bookkeeping": 2, "MAC kernels": 6}
    second = qp.parse_log(log, 0x1000, occurrence=2, sources=src)
    assert dict(second.functions) == {"odl_train_step": 2, "odl_fc_f16_fw": 3}


def test_buckets_follow_source_files_and_names():
    assert qp.bucket_of("fill_column", "/r/runtime_c/src/kernels/int8/arm_dsp/conv_2d.c") == "MAC kernels"
    assert qp.bucket_of("odl_max_pool2d_s8", "/r/runtime_c/src/kernels/int8/max_pool_2d.c") == "other ops"
    assert qp.bucket_of("apply_row", "/r/runtime_c/src/train/sparse_update.c") == "update"
    assert qp.bucket_of("odl_fp16_step", "/r/runtime_c/src/train/fp16_backprop.c") == "update"
    assert qp.bucket_of("odl_op_dispatch", "/r/runtime_c/src/core/dispatch.c") == "bookkeeping"
    assert qp.bucket_of("odl_f16_to_f32", "/r/runtime_c/src/kernels/fp16/f16_math.c") == "fp16 conversion"
    assert qp.bucket_of("odl_perturb_w16", "/r/runtime_c/src/kernels/int8/arm_dsp/perturb_s8w16.c") == "update"
    assert qp.bucket_of("odl_conv2d_s8_bw_weight", "/r/runtime_c/src/train/arm_dsp/bw_conv_2d.c") == "MAC kernels"
    assert qp.bucket_of("argmax_window", "/r/runtime_c/src/kernels/fp16/pooling.c") == "other ops"
