"""Versions (pure; importable from anywhere without pulling in I/O)."""

__all__ = ["ENGINE_VERSION", "__version__"]

__version__ = "0.2.0"
ENGINE_VERSION = "2.0"
"""The engine's version: changes whenever the same inputs can give different results."""
