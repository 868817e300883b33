"""Data contracts: the Document record, its Parquet schema, config models and the manifest."""
