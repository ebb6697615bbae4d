# Pipeline Designer: developer and CI entry points.
#   make run    open the designer on the bundled example (creates .venv first)
#   make test   everything CI does: venv, Docker engine, test images, ruff, pytest
# Set-up steps install what they need on Debian (as root) and skip what is already there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
VENV_STAMP  := $(VENV)/.pd-installed
TIMED       := .ci/timed
PYTEST_ARGS ?=
# Most tests wait on containers, sshd and Ray, not the CPU: three workers (pytest-xdist) keep the
# 2-core CI machine busy. Tests sharing one machine-wide thing share a worker (xdist_group).
PYTEST_WORKERS ?= 3
# A test that fails is run again once before it counts: the end-to-end tests drive real engines,
# sshd and a Ray cluster on a loaded 2-core machine, and a rerun is listed in the summary ("rerun"),
# so a flaky test stays visible instead of turning the whole run red.
PYTEST_RERUNS ?= 1
# Past this, pytest and all it started are ended, every Python thread's stack written first
# (.ci/deadline): a hang no test timeout covers must not hold CI (a pass takes about 7 minutes).
PYTEST_DEADLINE_S ?= 1200
# Debian packages: test images, the sshd tests, and the libraries PySide6 loads even offscreen.
HOST_PACKAGES := debootstrap busybox-static openssh-server desktop-file-utils zsh \
	libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 fonts-dejavu-core
# What Qt's xcb platform plugin needs on top, for a window on an X11/XWayland display.
DISPLAY_PACKAGES := libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1
export PD_TIMINGS ?= $(CURDIR)/.cache/setup-timings.txt

.PHONY: help venv run engine packages images images-force sshd lint format test bench soak clean distclean

help:
	@echo "make run      open the designer on examples/valohai.yaml"
	@echo "make test     venv + Docker engine + test images + ruff + pytest (CI: .ci/run)"
	@echo "make venv | engine | images | images-force | sshd | lint | format | bench | soak | clean | distclean"

# Re-install when pyproject.toml is newer than the stamp (or the venv is missing).
venv: $(VENV_STAMP)
$(VENV_STAMP): pyproject.toml
	@$(TIMED) venv .ci/venv.sh

run: venv
	@if [ -n "$${DISPLAY:-}" ] && [ "$${QT_QPA_PLATFORM:-}" != offscreen ]; then \
		.ci/packages.sh $(DISPLAY_PACKAGES) || echo "warning: Qt may not start without: $(DISPLAY_PACKAGES)"; \
	fi
	$(VENV)/bin/pipeline-designer examples/valohai.yaml

engine:
	@$(TIMED) engine .ci/engine.sh

# One apt-get update at most, and only when something is missing.
packages:
	@$(TIMED) packages .ci/packages.sh $(HOST_PACKAGES)

images: engine packages
	@$(TIMED) images tests/images/build.sh

images-force: engine packages
	@$(TIMED) images tests/images/build.sh --force

# The sshd tests start their own throwaway sshd (tests/sshd/); this only installs it.
sshd:
	@$(TIMED) sshd .ci/packages.sh openssh-server

lint: venv
	$(VENV)/bin/ruff check .

format: venv
	$(VENV)/bin/ruff format .

# ruff and pytest both run even when one fails, so one CI run shows every problem.
test:
	@mkdir -p .cache && : > "$(PD_TIMINGS)"
	@$(MAKE) --no-print-directory packages venv engine images
	@rc=0; \
		$(TIMED) ruff $(VENV)/bin/ruff check . || rc=1; \
		$(TIMED) imports $(VENV)/bin/lint-imports --no-cache || rc=1; \
		echo "---- set-up timings ----"; cat "$(PD_TIMINGS)"; \
		$(PY) .ci/deadline $(PYTEST_DEADLINE_S) $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --reruns $(PYTEST_RERUNS) -rR --durations=25 $(PYTEST_ARGS) || rc=1; \
		exit $$rc  # pytest's summary stays the last line CI reads

# The fault soak (not in `make test`): SOAK_RUNS runs of a 5-node pipeline, the runner killed at
# random, gc now and then; then no container, no running run, no unreferenced blob (tests/soak).
SOAK_RUNS ?= 200
soak: venv engine images
	$(PY) -m tests.soak.soak --runs $(SOAK_RUNS)

# Every benchmarks/*.py that is a script (has a __main__ block); helpers are skipped.
# All run even when one misses its target; the failures are listed at the end.
bench: venv
	@failed=""; \
	for f in benchmarks/*.py; do \
		[ -e "$$f" ] || { echo "no benchmarks/*.py yet"; break; }; \
		grep -q '__name__ == "__main__"' "$$f" || continue; \
		echo "== $$f"; $(PY) "$$f" || failed="$$failed $$f"; \
	done; \
	[ -z "$$failed" ] || { echo "benchmarks that failed or missed their target:$$failed"; exit 1; }

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis $(VENV_STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Also drops the venv and the debootstrap cache (the Docker images stay; see images-force).
distclean: clean
	rm -rf $(VENV) .cache

# --- packaging (issue 8): a one-folder app in dist/pipeline-designer/ -------------------------
.PHONY: package package-check
PYINSTALLER_REQ := pyinstaller>=6.10

# The xcb libraries are bundled only when present here: without them the bundle needs them on the desktop.
package: packages venv
	@.ci/packages.sh $(DISPLAY_PACKAGES) || echo "warning: the bundle will need on the target: $(DISPLAY_PACKAGES)"
	@$(PY) -c "import PyInstaller" 2>/dev/null || $(VENV)/bin/pip install -q '$(PYINSTALLER_REQ)'
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/pipeline-designer.spec
	@echo "built dist/pipeline-designer/ (run dist/pipeline-designer/pipeline-designer)"

# Builds the bundle, then starts it offscreen: opens the example, lints it, quits with 0.
package-check: package
	env -u DISPLAY QT_QPA_PLATFORM=offscreen dist/pipeline-designer/pipeline-designer --self-test
	dist/pipeline-designer/pipeline-designer lint examples/valohai-utils/valohai.yaml
	dist/pipeline-designer/pipeline-designer completion bash | bash -n
