"""Read what-if scenario files (YAML -> :class:`~qdb.scenario.ScenarioFile`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from qdb.errors import DataError, Problem
from qdb.io.yamlread import locate, parse_yaml
from qdb.scenario import Scenario, ScenarioFile

__all__ = ["load_scenario", "parse_scenario"]


def parse_scenario(text: str | bytes, source: str = "<scenario>") -> ScenarioFile:
    """Validate scenario YAML text.

    Raises
    ------
    DataError
        Every problem, located ``path:line:col: field: problem``.
    """
    from qdb.io.load import _problems_from_validation

    doc = parse_yaml(text, source)
    try:
        sc = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        raise DataError(_problems_from_validation(doc, Scenario, exc)) from None
    positions: dict[str, tuple[int, int]] = {}
    for key in ("edits", "add", "remove"):
        for i in range(len(getattr(sc, key))):
            positions[f"{key}[{i}]"] = locate(doc.tree, (key, i))
    return ScenarioFile(sc, source, positions)


def load_scenario(path: Path | str) -> ScenarioFile:
    """Read and validate a scenario file.

    Raises
    ------
    DataError
        The file cannot be read or is invalid (every problem located).
    """
    from qdb.io.load import display_path
    from qdb.io.yamlread import MAX_BYTES

    p = Path(path)
    label = display_path(p)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise DataError([Problem(label, 1, 1, "", f"file is over {MAX_BYTES // 2**20} MiB")])
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError([Problem(label, 1, 1, "", f"cannot read: {exc.strerror or exc}")]) from None
    return parse_scenario(raw, label)
