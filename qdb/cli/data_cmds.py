"""``qdb validate`` and ``qdb schema``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from qdb.cli.app import app


@app.command()
def validate(
    paths: list[Path] = typer.Argument(
        None, help="Files or data folders (default: the bundled data).", show_default=False
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print warnings."),
) -> None:
    """Check data files: every error names file, line, column and field.

    Warnings (e.g. a missing training branch, counted as 1.0) are printed but
    do not fail. Exit code 1 when any file has an error.
    """
    from qdb.io.load import bundled_data_dir, validate_paths

    targets = list(paths) if paths else [bundled_data_dir()]
    warnings = validate_paths(targets)
    if not quiet:
        from qdb.explain import escape_controls

        for w in warnings:
            print(escape_controls(str(w)), file=sys.stderr)
    n = len(targets)
    typer.echo(
        f"ok: {n} {'path' if n == 1 else 'paths'} valid"
        + (f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else "")
    )


@app.command()
def schema(
    kind: str = typer.Argument(
        "all", help="inventory, catalog, commitment or all (a bundle with $defs)."
    ),
    output: Path = typer.Option(
        None, "-o", "--output", help="Write to this file.", show_default=False
    ),
) -> None:
    """Print the JSON Schema of the data files (for editors' YAML language servers)."""
    from qdb.cli.common import dumps_json, emit
    from qdb.schema import json_schema

    emit(dumps_json(json_schema(kind)), output)
