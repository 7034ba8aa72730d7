"""The device side of the link running inside the host process: the C
server, the runtime and a model compiled with cffi, joined to the host Link
by an in-memory byte pipe. Lets tests (and later training/persistence code)
hold full host <-> device conversations without a board or QEMU.

`SimPort` is pyserial-like (write/read/in_waiting/timeout); the device is
polled whenever the host reads, so everything is single-threaded and
deterministic. `to_device` / `to_host` filters let tests corrupt traffic."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pytool.host.cbuild import build, runtime_sources

PIPE_C = r"""
#include <string.h>
#include "odl/odl.h"
#include "odl/link.h"

#define SIM_RX_CAP 65536u
typedef struct sim_device {
    odl_ctx_t ctx;
    odl_link_server_t srv;
    uint8_t rx[SIM_RX_CAP]; /* host -> device ring */
    uint32_t rx_head, rx_tail;
    uint8_t *tx;            /* device -> host, drained by the host */
    uint32_t tx_len, tx_cap, tx_lost;
    uint32_t counter, counter_step, stack_bytes;
} sim_device_t;

static int sim_read_byte(void *user) {
    sim_device_t *d = (sim_device_t *)user;
    if (d->rx_head == d->rx_tail) return -1;
    uint8_t b = d->rx[d->rx_tail];
    d->rx_tail = (d->rx_tail + 1) % SIM_RX_CAP;
    return b;
}
static void sim_write(void *user, const uint8_t *buf, uint32_t len) {
    sim_device_t *d = (sim_device_t *)user;
    for (uint32_t i = 0; i < len; ++i) {
        if (d->tx_len < d->tx_cap) d->tx[d->tx_len++] = buf[i];
        else d->tx_lost++;
    }
}
static uint32_t sim_counter(void *user) {
    sim_device_t *d = (sim_device_t *)user;
    d->counter += d->counter_step;
    return d->counter;
}
static uint32_t sim_stack(void *user) { return ((sim_device_t *)user)->stack_bytes; }

size_t sim_device_size(void) { return sizeof(sim_device_t); }
odl_link_server_t *sim_server(sim_device_t *d) { return &d->srv; }
odl_ctx_t *sim_ctx(sim_device_t *d) { return &d->ctx; }

int sim_init(sim_device_t *d, uint8_t *arena, uint32_t arena_size, uint8_t *tx, uint32_t tx_cap,
             const char *name, int hooks) {
    memset(d, 0, sizeof(*d));
    d->tx = tx;
    d->tx_cap = tx_cap;
    d->counter_step = 1;
    int s = odl_init(&d->ctx, &odl_model, arena, arena_size);
    if (s != ODL_OK) return s;
    odl_link_io_t io = {sim_read_byte, sim_write, hooks ? sim_counter : 0, hooks ? sim_stack : 0, d};
    return odl_link_server_init(&d->srv, &d->ctx, &io, name);
}
uint32_t sim_push(sim_device_t *d, const uint8_t *buf, uint32_t len) {
    uint32_t n = 0;
    while (n < len && (d->rx_head + 1) % SIM_RX_CAP != d->rx_tail) {
        d->rx[d->rx_head] = buf[n++];
        d->rx_head = (d->rx_head + 1) % SIM_RX_CAP;
    }
    return n;
}
uint32_t sim_model_arena_size(void) { return odl_model.arena_size; }
uint32_t sim_tx_take(sim_device_t *d) { uint32_t n = d->tx_len; d->tx_len = 0; return n; }
uint32_t sim_tx_lost(sim_device_t *d) { return d->tx_lost; }
void sim_log(sim_device_t *d, const char *text) { odl_link_log(&d->srv, text); }
void sim_set_hooks(sim_device_t *d, uint32_t counter_step, uint32_t stack_bytes) {
    d->counter_step = counter_step;
    d->stack_bytes = stack_bytes;
}
"""

PIPE_CDEF = """
typedef struct sim_device sim_device_t;
typedef struct odl_link_server odl_link_server_t;
typedef struct odl_ctx odl_ctx_t;
size_t sim_device_size(void);
odl_link_server_t *sim_server(sim_device_t *d);
odl_ctx_t *sim_ctx(sim_device_t *d);
int sim_init(sim_device_t *d, uint8_t *arena, uint32_t arena_size, uint8_t *tx, uint32_t tx_cap,
             const char *name, int hooks);
uint32_t sim_push(sim_device_t *d, const uint8_t *buf, uint32_t len);
uint32_t sim_model_arena_size(void);
uint32_t sim_tx_take(sim_device_t *d);
uint32_t sim_tx_lost(sim_device_t *d);
void sim_log(sim_device_t *d, const char *text);
void sim_set_hooks(sim_device_t *d, uint32_t counter_step, uint32_t stack_bytes);
int odl_link_server_poll(odl_link_server_t *srv);
uint32_t odl_crc32(uint32_t crc, const uint8_t *data, uint32_t len);
uint32_t odl_cobs_encode(const uint8_t *src, uint32_t len, uint8_t *dst);
int32_t odl_cobs_decode(const uint8_t *src, uint32_t len, uint8_t *dst);
"""

Filter = Callable[[bytes], bytes]


def build_device_module(name: str, model_c: str, extra_c: str = "", extra_cdef: str = "",
                        sources: list[Path] | None = None):
    """(ffi, lib) holding the server, the runtime and `model_c`, which must
    define `const odl_model_t odl_model` (as generated model.c does)."""
    prelude = "#include \"odl/odl.h\"\n#include \"odl/link.h\"\n" + model_c + "\n" + PIPE_C + "\n" + extra_c
    return build(name, PIPE_CDEF + extra_cdef, prelude, sources if sources is not None else runtime_sources())


class SimDevice:
    """One device instance: its context, server, arena and pipe."""

    def __init__(self, ffi, lib, target_name: str = "host-sim", hooks: bool = True,
                 arena_size: int | None = None, tx_cap: int = 1 << 20) -> None:
        self.ffi, self.lib = ffi, lib
        self._mem = ffi.new("char[]", lib.sim_device_size())
        self.dev = ffi.cast("sim_device_t *", self._mem)
        size = lib.sim_model_arena_size() if arena_size is None else arena_size
        self._arena = ffi.new("uint8_t[]", max(size, 1))
        self._tx = ffi.new("uint8_t[]", tx_cap)
        self._name = ffi.new("char[]", target_name.encode())
        status = lib.sim_init(self.dev, self._arena, size, self._tx, tx_cap, self._name, int(hooks))
        if status != 0:
            raise RuntimeError(f"sim device init failed with status {status}")
        self.server = lib.sim_server(self.dev)
        self.ctx = lib.sim_ctx(self.dev)

    def push(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = self.lib.sim_push(self.dev, self.ffi.from_buffer(view), len(view))
            view = view[n:]
            self.poll()

    def log(self, text: str) -> None:
        """Makes the device send a LOG line (as firmware would)."""
        self.lib.sim_log(self.dev, text.encode())

    def set_hooks(self, counter_step: int, stack_bytes: int) -> None:
        """What the board hooks report: counter advance per read, stack bytes."""
        self.lib.sim_set_hooks(self.dev, counter_step, stack_bytes)

    def poll(self) -> None:
        self.lib.odl_link_server_poll(self.server)

    def drain(self) -> bytes:
        """Bytes the device wrote since the last drain."""
        n = self.lib.sim_tx_take(self.dev)
        if self.lib.sim_tx_lost(self.dev):
            raise RuntimeError("sim device transmit buffer overflowed")
        return bytes(self.ffi.buffer(self._tx, n))


class SimPort:
    """A pyserial-like port whose far end is a SimDevice."""

    def __init__(self, device: SimDevice, to_device: Filter | None = None, to_host: Filter | None = None,
                 name: str = "sim://device") -> None:
        self.device = device
        self.to_device = to_device
        self.to_host = to_host
        self.name = name
        self.timeout: float | None = 1.0
        self._inbox = bytearray()
        self.written: list[bytes] = []

    def write(self, data: bytes) -> int:
        data = bytes(data)
        self.written.append(data)
        if self.to_device is not None:
            data = self.to_device(data)
        self.device.push(data)
        return len(data)

    def _pump(self) -> None:
        self.device.poll()
        out = self.device.drain()
        if out and self.to_host is not None:
            out = self.to_host(out)
        self._inbox += out

    @property
    def in_waiting(self) -> int:
        self._pump()
        return len(self._inbox)

    def read(self, size: int = 1) -> bytes:
        self._pump()
        if not self._inbox:
            # Nothing will arrive without another write: behave like a
            # timeout, briefly, so a Link's retry loop stays cheap.
            time.sleep(min(self.timeout or 0.0, 0.002))
            return b""
        out = bytes(self._inbox[:size])
        del self._inbox[:size]
        return out

    def reset_input_buffer(self) -> None:
        self._inbox.clear()

    def close(self) -> None:
        pass
