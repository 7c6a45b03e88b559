"""Writers: report context -> Markdown, self-contained HTML or PDF bytes.

Templates live in ``qdb/report/templates/`` (Jinja2 for Markdown and HTML,
typst for the PDF). matplotlib and typst are imported only inside the
functions that need them. Output depends only on the context (which carries
the report date), so the same inputs and date give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

__all__ = ["FORMATS", "inline_svg", "render", "render_html", "render_markdown", "render_pdf"]

FORMATS = ("md", "html", "pdf")


def _env() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("qdb.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["mdcell"] = _md_cell
    env.filters["mdtext"] = _md_text
    return env


def _md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return _md_text(value).replace("|", "\\|").replace("\n", " ")


def _md_text(value: Any) -> str:
    """Text with the Markdown characters that could start markup escaped."""
    s = "" if value is None else str(value)
    s = re.sub(r"([\\`*_\[\]])", r"\\\1", s)
    s = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", s)  # would open an HTML tag; "< 1%" cannot
    return re.sub(r"^(\s*)>", r"\1\\>", s, flags=re.MULTILINE)


def render_markdown(ctx: Mapping[str, Any]) -> bytes:
    """The report as Markdown (tables only; the charts are in the HTML and PDF editions).

    Parameters
    ----------
    ctx : mapping
        From :func:`qdb.report.context.build_context`.

    Returns
    -------
    bytes
        UTF-8 Markdown ending in a newline.
    """
    text = _env().get_template("report.md.j2").render(ctx=ctx)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return text.encode("utf-8")


_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: str, prefix: str) -> str:
    """A matplotlib SVG made fit to inline in HTML.

    The XML prologue and fixed size go (CSS sizes it through the ``viewBox``),
    and every ``id`` with its references gets ``prefix`` so that several charts
    on one page never share an id.
    """
    body = svg[svg.index("<svg") :]
    ids = set(_ID.findall(body))
    for i in sorted(ids, key=len, reverse=True):
        body = body.replace(f'id="{i}"', f'id="{prefix}{i}"')
        body = body.replace(f"#{i})", f"#{prefix}{i})").replace(
            f'href="#{i}"', f'href="#{prefix}{i}"'
        )
    body = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", body, count=1)
    return body.strip()


def render_html(ctx: Mapping[str, Any], charts: Mapping[str, str] | None = None) -> bytes:
    """The report as one self-contained HTML page (inline CSS and SVG, no requests).

    Parameters
    ----------
    ctx : mapping
        From :func:`qdb.report.context.build_context`.
    charts : mapping, optional
        Chart key -> SVG; default: rendered now with
        :func:`qdb.report.charts.render_charts`.
    """
    from markupsafe import Markup

    if charts is None:
        from qdb.report.charts import render_charts

        charts = render_charts(ctx)
    keys = [str(c["key"]) for c in ctx["charts"]]
    inlined = {
        k: Markup(inline_svg(v, f"c{keys.index(k) + 1}-")) for k, v in charts.items() if k in keys
    }
    env = _env()
    css = env.get_template("report.css").render()
    text = env.get_template("report.html.j2").render(ctx=ctx, svg=inlined, css=Markup(css))
    text = re.sub(r"\n\s*\n+", "\n", text)
    return text.encode("utf-8")


def _font_dirs() -> list[str]:
    """matplotlib's DejaVu fonts (a dependency already) for the PDF's sans face."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return []
    ttf = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return [str(ttf)] if ttf.is_dir() else []


def render_pdf(ctx: Mapping[str, Any], charts: Mapping[str, str] | None = None) -> bytes:
    """The report as PDF, typeset by the ``typst`` package with embedded fonts.

    System fonts are ignored and the creation timestamp is the report date, so
    the bytes depend only on the context.
    """
    import typst

    if charts is None:
        from qdb.report.charts import render_charts

        charts = render_charts(ctx)
    source = resources.files("qdb.report").joinpath("templates/report.typ").read_bytes()
    date = dt.date.fromisoformat(ctx["meta"]["report_date"])
    stamp = dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc)
    compile_: Any = typst.compile  # the stubs' TypeVar ties the font paths' type to the input's
    out: bytes = compile_(
        source,
        format="pdf",
        font_paths=_font_dirs(),
        ignore_system_fonts=True,
        sys_inputs={
            "ctx": json.dumps(ctx, ensure_ascii=False, sort_keys=True),
            "charts": json.dumps(dict(charts), ensure_ascii=False, sort_keys=True),
        },
        timestamp=stamp,
    )
    return out


def render(ctx: Mapping[str, Any], fmt: str) -> bytes:
    """Render ``ctx`` as ``md``, ``html`` or ``pdf``.

    Raises
    ------
    ValueError
        Unknown format.
    """
    if fmt == "md":
        return render_markdown(ctx)
    if fmt == "html":
        return render_html(ctx)
    if fmt == "pdf":
        return render_pdf(ctx)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
