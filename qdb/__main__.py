"""``python -m qdb`` runs the command line."""

from qdb.cli import main

main()
