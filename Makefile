# tinyodl: `make demo` runs the end-to-end demo, `make test` the test suite.
# Both install what is missing first (Debian packages + a local venv).

VENV    ?= .venv
PY      := $(VENV)/bin/python
APT_PKGS := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm qemu-system-misc \
            gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf cmake make gcc \
            python3-venv python3-dev
JOBS    ?= 2

.PHONY: setup demo test test-fast sanitize lint bench clean

setup: .apt-ok $(VENV)/.installed

.apt-ok:
	@if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null \
	   && command -v cmake >/dev/null && command -v make >/dev/null && command -v gcc >/dev/null \
	   && python3 -c "import os, sysconfig, venv; assert os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h'))" 2>/dev/null \
	   && command -v qemu-system-riscv32 >/dev/null && command -v riscv64-unknown-elf-gcc >/dev/null \
	   && [ -d /usr/lib/picolibc/riscv64-unknown-elf ] && [ -f /usr/lib/arm-none-eabi/newlib/libc.a -o -d /usr/lib/arm-none-eabi/newlib ]; then \
	  echo "cross toolchains and QEMU present"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PKGS); \
	fi
	@touch .apt-ok

$(VENV)/.installed: pyproject.toml .apt-ok
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

demo: setup
	$(PY) examples/demo.py

test: setup
	$(VENV)/bin/ruff check pytool quantize tests bench examples
	$(PY) -m pytest -n $(JOBS) -q

test-fast: setup
	$(PY) -m pytest -n $(JOBS) -q -m "not qemu and not slow"

# The runtime under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: setup
	TINYODL_SANITIZE=1 TINYODL_CACHE=.cache/asan ASAN_OPTIONS=detect_leaks=0 \
	LD_PRELOAD="$$(gcc -print-file-name=libasan.so):$$(gcc -print-file-name=libubsan.so)" \
	$(PY) -m pytest -q -p no:xdist tests/test_sanitize.py

lint: setup
	$(VENV)/bin/ruff check pytool quantize tests bench examples

bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf .cache build out .apt-ok
