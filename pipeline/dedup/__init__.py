"""Engine-free de-duplication logic (Llama 3 section 3.1.1): URL and text keys, keeper priority, line
hashes, MinHash signatures and LSH bands. The Beam transforms are in pipeline/beam/dedup.py."""
