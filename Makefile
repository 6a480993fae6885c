# seqlab: two set-up commands, `make demo` and `make test` (see README.md).
VENV    ?= .venv
PY      := $(VENV)/bin/python
SEQLAB  := $(VENV)/bin/seqlab
SHARED  ?= ../shared/data
STAMP   := $(VENV)/.installed-stamp

.PHONY: install demo test test-all services clean

# torch first, pinned: a CPU wheel of exactly this version is on the build machines' disk;
# any other version would pull several GB of CUDA packages.
$(STAMP): pyproject.toml requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(SEQLAB) data fetch mitdb --source $(SHARED)/mitdb
	$(SEQLAB) reproduce kachuee-intra --out runs/demo-kachuee-intra

test: $(STAMP)
	$(PY) -m pytest

# optional, needs root: a local PostgreSQL for the two-worker `seqlab tune` test (else it skips)
services:
	bash scripts/postgres-test-db.sh

test-all: $(STAMP)
	$(PY) -m pytest -m ""

clean:
	rm -rf runs .pytest_cache
