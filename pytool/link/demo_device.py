"""A hand-written one-op model for link bring-up and tests: a RESHAPE of
quantized int8 tensors larger than one frame (so transfers are chunked),
plus a command with a side effect registered through odl_link_register, to
show that a repeated seq never executes twice. MODEL_C needs only core +
RESHAPE, so firmware can use it before the toolchain generates real models."""

from __future__ import annotations

from pytool.link.hostsim import SimDevice, build_device_module

IN_SHAPE = (1, 50, 50, 4)
OUT_SHAPE = (1, 10000)
SCALE, ZERO_POINT = 0.5, -3
MODEL_HASH = 0x1234ABCD
ARENA = 20000
ACCUM_CMD = 0x40

MODEL_C = r"""
#include "odl/ops.h"
static const odl_tensor_t tensors[2] = {
    {ODL_DT_INT8, 4, ODL_T_ARENA | ODL_T_INPUT, 0, {1, 50, 50, 4, 0}, 10000, 0, 0, 0.5f, -3},
    {ODL_DT_INT8, 2, ODL_T_ARENA | ODL_T_OUTPUT, 0, {1, 10000, 0, 0, 0}, 10000, 10000, 0, 0.5f, -3},
};
static const int16_t op0_in[1] = {0};
static const int16_t op0_out[1] = {1};
static const odl_op_t ops[1] = {{ODL_OP_RESHAPE, 1, 1, op0_in, op0_out, 0, 0, 0}};
static const odl_decoder_fn decoders[1] = {odl_op_reshape};
static const int16_t model_inputs[1] = {0};
static const int16_t model_outputs[1] = {1};
const odl_model_t odl_model = {ODL_MODEL_FORMAT, 0x1234ABCDu, 2, 1, 1, 1, tensors, ops,
                               model_inputs, model_outputs, 20000, 0, 0, decoders};
"""

# A command with a side effect: adds a u32 to a running total and answers
# the total. Executing it twice for one seq would show in the total.
EXTRA_C = r"""
typedef struct { uint32_t total; } accum_t;
static int accum_handler(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len,
                         uint8_t *resp, uint16_t *resp_len) {
    (void)srv;
    accum_t *a = (accum_t *)user;
    if (req_len != 4) { *resp_len = 0; return ODL_LINK_ST_BAD_PAYLOAD; }
    a->total += (uint32_t)req[0] | ((uint32_t)req[1] << 8) | ((uint32_t)req[2] << 16) | ((uint32_t)req[3] << 24);
    for (int i = 0; i < 4; ++i) resp[i] = (uint8_t)(a->total >> (8 * i));
    *resp_len = 4;
    return ODL_OK;
}
size_t accum_size(void) { return sizeof(accum_t); }
uint32_t accum_total(void *a) { return ((accum_t *)a)->total; }
int accum_register(sim_device_t *d, void *a) {
    return odl_link_register(sim_server(d), 0x40, accum_handler, a);
}
uint32_t test_invokes(sim_device_t *d) { return sim_ctx(d)->stats.invokes; }
"""

EXTRA_CDEF = """
size_t accum_size(void);
uint32_t accum_total(void *a);
int accum_register(sim_device_t *d, void *a);
uint32_t test_invokes(sim_device_t *d);
"""


class DemoDevice(SimDevice):
    """SimDevice with the accumulator command registered."""

    def __init__(self, ffi, lib, **kw) -> None:
        super().__init__(ffi, lib, **kw)
        self._accum = ffi.new("char[]", lib.accum_size())
        assert lib.accum_register(self.dev, self._accum) == 0

    @property
    def accum_total(self) -> int:
        return self.lib.accum_total(self._accum)

    @property
    def invokes(self) -> int:
        return self.lib.test_invokes(self.dev)

    def snapshot(self) -> tuple:
        """Everything a rejected frame must leave untouched."""
        arena = bytes(self.ffi.buffer(self._arena, ARENA))
        return self.invokes, self.accum_total, arena


_module = None


def device_module():
    global _module
    if _module is None:
        _module = build_device_module("link_demo", MODEL_C, EXTRA_C, EXTRA_CDEF)
    return _module


def new_device(**kw) -> DemoDevice:
    ffi, lib = device_module()
    return DemoDevice(ffi, lib, **kw)
