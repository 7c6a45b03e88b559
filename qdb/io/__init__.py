"""File input and output: YAML reading with positions, loading, writing."""

from qdb.io.load import (
    LoadResult,
    bundled_data_dir,
    load_catalog,
    load_commitment,
    load_dataset,
    load_inventory,
    parse_catalog,
    parse_commitment,
    parse_inventory,
    validate_paths,
)

__all__ = [
    "LoadResult",
    "bundled_data_dir",
    "load_catalog",
    "load_commitment",
    "load_dataset",
    "load_inventory",
    "parse_catalog",
    "parse_commitment",
    "parse_inventory",
    "validate_paths",
]
