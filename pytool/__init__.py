"""tinyodl toolchain: model file -> IR -> quantize -> plan -> C -> host/MCU."""

from __future__ import annotations

__version__ = "0.1.0"


def compile_model(*args, **kwargs):
    from pytool.compiler import compile_model as _compile

    return _compile(*args, **kwargs)


def load_host(*args, **kwargs):
    from pytool.host import load_host as _load

    return _load(*args, **kwargs)


__all__ = ["compile_model", "load_host", "__version__"]
