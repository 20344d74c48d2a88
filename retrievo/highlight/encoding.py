"""The ``encoder`` option: ``default`` leaves text as it is, ``html`` escapes it (Lucene's
``SimpleHTMLEncoder``) before the tags are added, so the tags are the only markup in a fragment."""

from __future__ import annotations

from collections.abc import Callable

_HTML = {'"': "&quot;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#x27;", "/": "&#x2F;"}

Encoder = Callable[[str], str]


def html_encode(text: str) -> str:
    return "".join(_HTML.get(ch, ch) for ch in text)


def plain_encode(text: str) -> str:
    return text


def encoder_for(name: str | None) -> Encoder:
    """``html`` escapes; any other value (Elasticsearch does not check it) leaves text alone."""
    return html_encode if name == "html" else plain_encode
