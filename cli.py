#!/usr/bin/env python3
"""``python cli.py ...`` does what ``qdb ...`` does."""

from qdb.cli import main

if __name__ == "__main__":
    main()
