"""Self-contained HTML reports (Jinja2) with plots embedded as data URIs, and figure helpers."""

from viewcast.report.html import embed_png, render_report

__all__ = ["embed_png", "render_report"]
