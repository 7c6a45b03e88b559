"""The certification report: assessment -> context -> Markdown, HTML or PDF.

``build_context`` (pure) turns an :class:`~qdb.results.Assessment`, its
:class:`~qdb.models.Matchup` and optional analyses into a plain dict;
``render`` writes it in one format. Charts (matplotlib) and the PDF (typst)
are imported only when rendered.
"""

from __future__ import annotations

from qdb.report.context import EXTRA_SECTIONS, build_context
from qdb.report.render import FORMATS, render

__all__ = ["EXTRA_SECTIONS", "FORMATS", "build_context", "render"]
