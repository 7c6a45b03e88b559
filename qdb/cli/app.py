"""The typer application object shared by every command module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="qdb",
    help=(
        "Qualitative deterrent balance: do Ukraine's equipment, training and technology "
        "match or offset Russia's numerical advantages, contest by contest?"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from qdb import __version__

        typer.echo(f"qdb {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Qualitative deterrent balance assessment."""
