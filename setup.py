"""pretrain-curator: an Apache Beam pipeline that curates web crawls into pretraining shards.

Also the file Dataflow workers install through `--setup_file ./setup.py`: install_requires holds only what
the pipeline imports on a worker.
"""

from setuptools import find_packages, setup

setup(
    name="pretrain-curator",
    version="0.1.0",
    description="Llama 3-style pretraining data curation as an Apache Beam pipeline",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    # tools/ (the generated sample corpus), tests/ and bench/ stay in the checkout, off the workers.
    packages=find_packages(include=["schemas*", "filters*", "classifiers*", "pipeline*"]),
    package_data={
        "filters": ["data/**/*"],
        "classifiers": ["prompts/*.yaml"],
        "pipeline": ["extract/data/*"],
    },
    install_requires=[
        "apache-beam>=2.60",
        "pyarrow>=15",
        "numpy>=1.26",
        "pydantic>=2.5",
        "pyyaml>=6",
        "zstandard>=0.22",  # .jsonl.zst inputs
        "lxml>=5",  # the native extractor's parser
        "resiliparse>=0.14",  # encoding detection, deep-page fallback
        "fastwarc>=0.14",  # WARC/WET reading
        "trafilatura>=1.12",  # comparison extractor (extract.extractor: trafilatura)
        "datasketch>=1.6",  # MinHash
        "presidio-analyzer>=2.2",  # PII
        "phonenumbers>=8.13",
        # The fastText binding that predicts under numpy 2 (fasttext 0.9.3 and fasttext-wheel fail).
        "fasttext-numpy2>=0.10",
        "tokenizers>=0.15",  # tokens.tokenizer: any tokenizer.json
    ],
    extras_require={
        # Transformer-backed classifiers. A torch range that the CPU wheel torch 2.13.0 satisfies; install
        # that wheel first (see Makefile), or pip pulls a multi-GB CUDA build.
        "llm": ["transformers>=4.40", "torch>=2.2,<2.14", "accelerate>=0.30", "gguf>=0.10"],
        # Dataflow: `--runner DataflowRunner` (and its offline --dry-run) needs the GCP client libraries.
        "gcp": ["apache-beam[gcp]>=2.60"],
        # faker: PII test values and bench/pii; mimesis: bench/pii's second generator; pandas, duckdb,
        # polars, datasets: the shards load in each; pillow: the report's screenshot is checked
        "dev": [
            "pytest>=8", "ruff>=0.5", "faker>=30", "mimesis>=22,<23",
            "pandas>=2", "duckdb>=1.3", "polars>=1", "datasets>=3", "pillow>=10",
        ],
    },
    entry_points={"console_scripts": ["curate=pipeline.beam.cli:main"]},
)
