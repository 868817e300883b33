"""Data contracts, the bottom layer: the Document record and its Parquet schema, config models, the
manifest and the stable hash. Imports nothing else of the project."""
