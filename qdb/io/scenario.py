"""Read what-if scenario files (YAML -> :class:`~qdb.scenario.ScenarioFile`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from qdb.errors import DataError
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
    from qdb.io.atomic import read_capped
    from qdb.io.load import display_path

    p = Path(path)
    label = display_path(p)
    # a scenario may come from a pipe (--scenario /dev/stdin): read it once, capped
    raw = read_capped(p, label, allow_stream=True)
    return parse_scenario(raw, label)
