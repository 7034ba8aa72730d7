"""Where tinyodl's C sources, board folders and build cache live.

From a checkout, `runtime_c/`, `targets/` and the CMake files sit next to
`pytool/`; an installed wheel carries the same tree in `pytool/_data/`
(setup.py copies it there). The build cache is per user (platformdirs),
never inside the installation; TINYODL_CACHE overrides it."""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _data_root() -> Path:
    checkout = _PKG.parent
    if (checkout / "runtime_c" / "include" / "odl").is_dir() and (checkout / "targets").is_dir():
        return checkout
    return _PKG / "_data"


ROOT = _data_root()
RUNTIME_DIR = ROOT / "runtime_c"
TARGETS_DIR = ROOT / "targets"
CMAKE_DIR = ROOT / "cmake"


def require_data() -> None:
    """A clear error when the C sources are missing (a broken install)."""
    if not (RUNTIME_DIR / "include" / "odl" / "odl.h").is_file():
        raise RuntimeError(
            f"tinyodl's C runtime is missing ({RUNTIME_DIR}/include/odl/odl.h): "
            "reinstall the package (pip install --force-reinstall tinyodl)"
        )


def cache_dir() -> Path:
    """The user's cache folder for compiled runtimes and default build folders."""
    env = os.environ.get("TINYODL_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("tinyodl", appauthor=False))
