"""pretrain-curator: an Apache Beam pipeline that curates web crawls into pretraining shards.

Also the file Dataflow workers install through `--setup_file ./setup.py`.
"""

from setuptools import find_packages, setup

setup(
    name="pretrain-curator",
    version="0.1.0",
    description="Llama 3-style pretraining data curation as an Apache Beam pipeline",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["schemas*", "filters*", "classifiers*", "pipeline*", "configs*"]),
    package_data={"configs": ["*.yaml"], "filters": ["data/**/*"]},
    install_requires=[
        "apache-beam>=2.60",
        "pyarrow>=15",
        "numpy>=1.26",
        "pydantic>=2.5",
        "pyyaml>=6",
        "zstandard>=0.22",
        "resiliparse>=0.14",
        "trafilatura>=1.12",
        "datasketch>=1.6",
        "presidio-analyzer>=2.2",
        "presidio-anonymizer>=2.2",
        # The fastText binding that predicts under numpy 2 (fasttext 0.9.3 and fasttext-wheel fail).
        "fasttext-numpy2>=0.10",
        "tokenizers>=0.15",
        "transformers>=4.40",
    ],
    extras_require={
        # A range that the CPU wheel torch 2.13.0 satisfies; install that wheel first (see Makefile).
        "llm": ["torch>=2.2,<2.14", "accelerate>=0.30", "gguf>=0.10"],
        "dev": ["pytest>=8", "ruff>=0.5"],
    },
    entry_points={"console_scripts": ["curate=pipeline.cli:main"]},
)
