"""qdb: qualitative deterrent balance assessment.

Does what one side holds in equipment, training and technology match or
offset the other's numerical advantages, contest by contest? The public API
is re-exported here; heavy libraries load only when used.
"""

from __future__ import annotations

from typing import Any

from qdb.errors import DataError, EditError, QdbError
from qdb.version import ENGINE_VERSION, __version__

__all__ = [
    "ENGINE_VERSION",
    "DataError",
    "EditError",
    "QdbError",
    "__version__",
    "assess",
    "load_dataset",
]


def __getattr__(name: str) -> Any:
    if name == "assess":
        from qdb.assess import assess

        return assess
    if name == "load_dataset":
        from qdb.io.load import load_dataset

        return load_dataset
    raise AttributeError(f"module 'qdb' has no attribute {name!r}")
