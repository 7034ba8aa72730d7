"""Ships the C runtime, the board folders and the CMake files inside the
wheel (as pytool/_data/), so an installed `tinyodl` finds them. Metadata
lives in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA = ("runtime_c", "targets", "cmake", "CMakeLists.txt", "LICENSE")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "build", ".cache")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout itself
        dest = Path(self.build_lib) / "pytool" / "_data"
        for name in DATA:
            src = HERE / name
            if src.is_dir():
                shutil.copytree(src, dest / name, ignore=SKIP, dirs_exist_ok=True)
            elif src.is_file():
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / name)


setup(cmdclass={"build_py": BuildPyWithData})
