"""Serial link: C CRC-32 / COBS against zlib and the cobs package, frame
round trips, and whole host <-> device conversations with the real Link
class and the real C server (runtime + a one-op model) in-process."""

from __future__ import annotations

import socket
import struct
import threading
import zlib

import numpy as np
import pytest
from cobs import cobs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytool.link import Cmd, DeviceGone, Frame, FrameError, Link, Nack
from pytool.link import protocol as proto
from pytool.link.demo_device import (
    ACCUM_CMD,
    ARENA,
    IN_SHAPE,
    MODEL_HASH,
    OUT_SHAPE,
    SCALE,
    ZERO_POINT,
    device_module,
    new_device,
)
from pytool.link.hostsim import SimPort

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def clib():
    return device_module()


@pytest.fixture
def dev():
    return new_device()


@pytest.fixture
def link(dev):
    return Link(SimPort(dev), timeout=0.2, retries=2)


def c_crc(clib, data: bytes, start: int = 0) -> int:
    ffi, lib = clib
    return lib.odl_crc32(start, ffi.from_buffer(data), len(data))


def c_cobs_encode(clib, data: bytes) -> bytes:
    ffi, lib = clib
    out = ffi.new("uint8_t[]", len(data) + len(data) // 254 + 2)
    n = lib.odl_cobs_encode(ffi.from_buffer(data), len(data), out)
    return bytes(ffi.buffer(out, n))


def c_cobs_decode(clib, data: bytes) -> bytes | None:
    ffi, lib = clib
    out = ffi.new("uint8_t[]", len(data) + 1)
    n = lib.odl_cobs_decode(ffi.from_buffer(data), len(data), out)
    return None if n < 0 else bytes(ffi.buffer(out, n))


# Zero-heavy and zero-free data both matter: COBS changes behaviour at runs of 254.
byte_data = st.one_of(
    st.binary(max_size=1200),
    st.lists(st.sampled_from([0, 1, 255]), max_size=800).map(bytes),
    st.integers(0, 800).map(lambda n: bytes(1 + i % 255 for i in range(n))),
)


@SETTINGS
@given(data=byte_data, start=st.integers(0, 2**32 - 1))
def test_c_crc32_equals_zlib(clib, data, start):
    assert c_crc(clib, data) == zlib.crc32(data)
    assert c_crc(clib, data, start) == zlib.crc32(data, start)


def test_c_crc32_known_check_value(clib):
    # The CRC-32/ISO-HDLC check value of "123456789".
    assert c_crc(clib, b"123456789") == 0xCBF43926


@SETTINGS
@given(data=byte_data)
def test_c_cobs_matches_cobs_package(clib, data):
    enc = cobs.encode(data)
    assert c_cobs_encode(clib, data) == enc
    assert c_cobs_decode(clib, enc) == data


@pytest.mark.parametrize("n", [0, 1, 253, 254, 255, 508, 509])
@pytest.mark.parametrize("tail", [b"", b"\x00", b"\x00\x07"])
def test_c_cobs_block_boundaries(clib, n, tail):
    data = bytes([0x11]) * n + tail
    assert c_cobs_encode(clib, data) == cobs.encode(data)
    assert c_cobs_decode(clib, cobs.encode(data)) == data


@pytest.mark.parametrize("bad", [b"\x05\x01", b"\x03\x00\x01", b"\x00"])
def test_c_cobs_rejects_what_the_package_rejects(clib, bad):
    with pytest.raises(cobs.DecodeError):
        cobs.decode(bad)
    assert c_cobs_decode(clib, bad) is None


@SETTINGS
@given(cmd=st.integers(0, 255), seq=st.integers(0, 0xFFFF), flags=st.integers(0, 255),
       status=st.integers(0, 255), payload=st.binary(max_size=600))
def test_frame_round_trip(cmd, seq, flags, status, payload):
    f = Frame(cmd, seq, payload, flags, status)
    wire = proto.encode(f)
    assert wire[0] == 0 and wire[-1] == 0 and 0 not in wire[1:-1]
    assert proto.decode(wire[1:-1]) == f
    raw = proto.pack(f)
    assert len(raw) == proto.HEADER_SIZE + len(payload) + proto.CRC_SIZE
    assert struct.unpack_from("<H", raw, 4)[0] == seq


def test_frame_decode_rejects_corruption():
    raw = bytearray(proto.pack(Frame(Cmd.ECHO, 7, b"abc")))
    raw[9] ^= 0x10
    with pytest.raises(FrameError, match="CRC"):
        proto.unpack(bytes(raw))
    with pytest.raises(FrameError, match="shorter"):
        proto.unpack(b"\x01\x02")


def wire_frames(port: SimPort, wire: bytes) -> tuple[bytes, list[Frame]]:
    """Writes raw wire bytes to the device; returns its raw output and frames."""
    port.write(wire)
    out = port.read(1 << 20)
    return out, proto.FrameReader().feed(out)


@SETTINGS
@given(payload=byte_data.filter(lambda d: len(d) <= 4096), seq=st.integers(0, 0xFFFE))
def test_device_frames_are_byte_exact(payload, seq):
    """The device's streaming COBS encoder and CRC give exactly the bytes
    the host's reference encoder gives for the same response."""
    port = SimPort(new_device())
    req = Frame(Cmd.ECHO, seq, payload)
    out, frames = wire_frames(port, proto.encode(req))
    expected = Frame(Cmd.ECHO, seq, payload, proto.F_RESPONSE, 0)
    assert out == proto.encode(expected)
    assert frames == [expected]
    # The identical request again is a retry: answered from the cache.
    _, again = wire_frames(port, proto.encode(req))
    assert again == [Frame(Cmd.ECHO, seq, payload, proto.F_RESPONSE | proto.F_REPLAY, 0)]


def test_info_describes_the_model(link):
    info = link.info()
    assert info.protocol == proto.VERSION
    assert info.target == "host-sim"
    assert info.model_hash == MODEL_HASH
    assert info.arena_size == ARENA
    assert info.max_payload == proto.DEFAULT_MAX_PAYLOAD
    assert info.train_method == 0 and info.train_method_name == "none"
    (inp,) = info.inputs
    (out,) = info.outputs
    assert inp.shape == IN_SHAPE and out.shape == OUT_SHAPE
    assert inp.dtype == np.int8 and out.dtype == np.int8
    assert inp.nbytes == out.nbytes == int(np.prod(IN_SHAPE))
    assert inp.scale == pytest.approx(SCALE) and inp.zero_point == ZERO_POINT


def test_infer_chunks_input_and_output(dev, link):
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, size=IN_SHAPE, dtype=np.int8)
    y = link.infer(x)
    assert y.shape == OUT_SHAPE and y.dtype == np.int8
    np.testing.assert_array_equal(y.ravel(), x.ravel())
    # 10000 bytes: 3 SET_INPUT chunks, INFER carries 4096, 2 GET_OUTPUTs, plus INFO.
    sent = [proto.decode(w[1:-1]).command for w in link.port.written]
    assert sent.count(Cmd.SET_INPUT) == 3 and sent.count(Cmd.GET_OUTPUT) == 2
    assert dev.invokes == 1
    assert max(len(w) for w in link.port.written) <= 4096 + 5 + 12 + 4096 // 254 + 4


def test_infer_quantizes_float_input(link):
    x = np.linspace(-10, 10, int(np.prod(IN_SHAPE)), dtype=np.float32).reshape(IN_SHAPE)
    y = link.infer(x)
    expected = np.clip(np.round(x.astype(np.float64) / SCALE) + ZERO_POINT, -128, 127).astype(np.int8)
    np.testing.assert_array_equal(y.ravel(), expected.ravel())
    np.testing.assert_allclose(link.info().outputs[0].dequantize(y).ravel(), x.ravel(), atol=SCALE / 2 + 1e-6)


def test_infer_rejects_wrong_shape_and_dtype(link):
    with pytest.raises(ValueError, match="shape"):
        link.infer(np.zeros((1, 3), np.int8))
    with pytest.raises(ValueError, match="dtype"):
        link.infer(np.zeros(IN_SHAPE, np.int32))


def test_stats_reports_board_hooks(dev, link):
    dev.set_hooks(counter_step=1234, stack_bytes=777)
    link.infer(np.zeros(IN_SHAPE, np.int8))
    link.infer(np.ones(IN_SHAPE, np.int8))
    s = link.stats()
    assert s.invokes == 2 and s.counter == 1234 and s.stack_high_water == 777
    assert s.has_output and s.frames_rejected == 0 and s.frames_replayed == 0


def test_stats_without_hooks():
    link = Link(SimPort(new_device(hooks=False)), timeout=0.2, retries=1)
    s = link.stats()
    assert s.counter is None and s.stack_high_water is None and s.invokes == 0 and not s.has_output


def test_command_errors_are_named_nacks(link):
    with pytest.raises(Nack, match="LINK_BAD_STATE") as e:
        link.get_output(0)
    assert e.value.status == proto.LinkStatus.BAD_STATE
    with pytest.raises(Nack, match="ODL_ERR_ARG"):
        link.request(Cmd.SET_INPUT, struct.pack("<BI", 0, 9999) + b"\x01\x02")
    with pytest.raises(Nack, match="ODL_ERR_ARG"):
        link.request(Cmd.SET_INPUT, struct.pack("<BI", 3, 0) + b"\x01")
    with pytest.raises(Nack, match="LINK_UNKNOWN_CMD"):
        link.request(Cmd.TRAIN)
    with pytest.raises(Nack, match="LINK_BAD_PAYLOAD"):
        link.request(Cmd.INFER, b"\x01")
    assert link.stats().invokes == 0


def test_registered_command_and_payload_limits(dev, link):
    assert link.request(ACCUM_CMD, struct.pack("<I", 5)) == struct.pack("<I", 5)
    assert link.request(ACCUM_CMD, struct.pack("<I", 7)) == struct.pack("<I", 12)
    assert dev.accum_total == 12
    big = bytes(range(256)) * 16
    assert link.echo(big) == big
    with pytest.raises(ValueError, match="exceeds"):
        link.echo(big + b"!")


def test_log_lines_reach_the_host(dev, link):
    dev.log("booted")
    dev.log("x" * 500)
    link.stats()
    assert link.logs == ["booted", "x" * 120]


def test_seq_skips_the_reserved_value(link):
    link._seq = proto.SEQ_NONE - 1
    link.echo(b"a")
    assert link._seq == 0
    assert proto.decode(link.port.written[-1][1:-1]).seq == 0


def test_no_device_raises_device_gone():
    # loop:// echoes our own requests back; nothing ever answers them.
    link = Link("loop://", timeout=0.05, retries=2)
    with pytest.raises(DeviceGone, match=r"no answer from loop:// after 3 tries in \d"):
        link.info()


def test_link_over_a_tcp_socket_like_qemu():
    """The same conversation through pyserial's socket:// transport, with
    the device behind a localhost TCP server (as QEMU's -serial tcp: is)."""
    dev = new_device()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        conn.settimeout(0.01)
        with conn:
            while not stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    data = b""
                if data:
                    dev.push(data)
                dev.poll()
                out = dev.drain()
                if out:
                    conn.sendall(out)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with Link(f"socket://127.0.0.1:{port}", timeout=1.0, retries=2) as link:
            x = np.arange(np.prod(IN_SHAPE), dtype=np.int64).astype(np.int8).reshape(IN_SHAPE)
            np.testing.assert_array_equal(link.infer(x).ravel(), x.ravel())
            assert link.info().target == "host-sim" and link.stats().invokes == 1
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
