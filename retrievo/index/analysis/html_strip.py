"""The ``html_strip`` char filter: Lucene's ``HTMLStripCharFilter`` on the common constructs.

Lucene's filter is a JFlex scanner; this is a hand-written scanner over the same rules, with the same
offset bookkeeping (``BaseCharFilter`` correction points, added where the JFlex actions add them):

* a start or end tag is removed; an inline element's (``a``, ``b``, ``span``, ``img`` ...) leaves
  nothing, any other element's (``p``, ``div``, ``li``, ``h1`` ...) and ``<br>`` leave one newline;
* ``<script>``/``<style>`` elements, content included, become one newline;
* comments ``<!-- -->``, ``<!DOCTYPE ...>``-style declarations and ``<? ... ?>`` processing
  instructions are removed; a ``<![CDATA[ ... ]]>`` section leaves its content;
* character references — named (HTML 4's, plus ``apos`` and the upper-case ``AMP``, ``LT``, ``GT``,
  ``QUOT``, ``COPY``, ``REG``; ``&nbsp;`` is a plain space), decimal and hexadecimal — become their
  character (a surrogate code point U+FFFD); the ``;`` is required except at the end of the input;
* anything that does not complete one of these (``a < b``, ``&bogus;``) is kept as it is;
* ``escaped_tags`` keeps those elements' tags verbatim (``br``, ``script`` and ``style`` included).

Not modelled: server-side includes (``<!--# ... -->``) and quoted strings inside script/style comments
(a ``</script>`` inside one ends the element here), event-handler attributes holding ``<`` or ``>``,
and numeric references split into UTF-16 surrogate pairs. Offsets are code points.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.entities import name2codepoint
from typing import Any

from .char_filters import CharFilter, OffsetMap

_ENTITIES: dict[str, str] = {name: chr(cp) for name, cp in name2codepoint.items()}
_ENTITIES["apos"] = "'"
_ENTITIES["nbsp"] = " "  # Lucene maps the no-break space reference to a plain space
for _upper in ("AMP", "LT", "GT", "QUOT", "COPY", "REG"):
    _ENTITIES[_upper] = _ENTITIES[_upper.lower()]
_LONGEST_ENTITY = max(map(len, _ENTITIES))

#: HTMLStripCharFilter's ``InlineElment``: tags that leave nothing behind.
_INLINE = frozenset(
    "a b i q s u abbr acronym basefont bdo big cite code dfn em font img input kbd label samp select small "
    "span strike strong sub sup textarea tt var".split()
)
_NAME = r"(?:[:_]|[^\W\d])(?:[-.:_]|\w)*"
_TAIL = r"(?:(?:=\s*|\s+)[^<>]*)?\s*/?>"
_START_TAG = re.compile(rf"<(\s*)({_NAME})({_TAIL})")
_END_TAG = re.compile(rf"</(\s*)({_NAME})\s*>")
_BR_START = re.compile(rf"<\s*[bB][rR]{_TAIL}")
_BR_END = re.compile(r"</\s*[bB][rR]\s*>")
_RAW_OPEN = re.compile(r"<\s*(script|style)(?:\s+[^<>]*)?\s*>", re.IGNORECASE)
_PROCESSING = re.compile(r"<\?[^>]*[/?]>")
_NUMERIC = re.compile(r"&#(?:([xX][0-9A-Fa-f]+)|([0-9]+))")


def _raw_close(name: str) -> re.Pattern[str]:
    return re.compile(rf"</\s*{name}\s*>", re.IGNORECASE)


_RAW_CLOSE = {"script": _raw_close("script"), "style": _raw_close("style")}


class _Out:
    """The output text and BaseCharFilter's bookkeeping (``cumulativeDiff``, correction points)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.diff = 0
        self.map = OffsetMap()

    def keep(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def replace(self, consumed: int, replacement: str) -> None:
        """``consumed`` input characters become ``replacement``: the correction sits after it."""
        self.diff += consumed - len(replacement)
        self.map.add(self.length + len(replacement), self.diff)
        self.keep(replacement)


class HtmlStripCharFilter(CharFilter):
    type_name = "html_strip"

    def __init__(self, escaped_tags: Iterable[str] = ()) -> None:
        self.escaped_tags = [str(t) for t in escaped_tags]
        lowered = {t.lower() for t in self.escaped_tags}
        self._escape_br = "br" in lowered
        self._escape_raw = {name for name in ("script", "style") if name in lowered}
        self._escaped = lowered - {"br", "script", "style"}

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name, "escaped_tags": list(self.escaped_tags)}

    def filter(self, text: str) -> tuple[str, OffsetMap]:
        out = _Out()
        i, n = 0, len(text)
        while i < n:
            j = min((k for k in (text.find("<", i), text.find("&", i)) if k >= 0), default=n)
            if j > i:
                out.keep(text[i:j])
                i = j
                if i >= n:
                    break
            i = self._markup(text, i, out) if text[i] == "<" else self._reference(text, i, out)
        return "".join(out.parts), out.map

    # ------------------------------------------------------------------ character references
    def _reference(self, text: str, i: int, out: _Out) -> int:
        numeric = _NUMERIC.match(text, i)
        if numeric is not None:
            digits = numeric.group(1) or numeric.group(2)
            hexadecimal = numeric.group(1) is not None
            too_long = len(digits) > (6 if hexadecimal else 7)
            code = -1 if too_long else int(digits[1:], 16) if hexadecimal else int(digits)
            if code < 0 or code > 0x10FFFF:
                out.keep(text[i : numeric.end()])  # kept as written
                return numeric.end()
            char = "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)
            return self._tail(text, i, numeric.end(), char, out)
        name_end = i + 1
        while name_end < len(text) and name_end - i - 1 < _LONGEST_ENTITY and text[name_end].isalnum():
            name_end += 1
        for end in range(name_end, i + 1, -1):  # the longest entity name at this point
            named = _ENTITIES.get(text[i + 1 : end])
            if named is not None:
                return self._tail(text, i, end, named, out)
        if text.startswith("&#", i):
            out.keep("&#")
            return i + 2
        out.keep("&")
        return i + 1

    @staticmethod
    def _tail(text: str, start: int, end: int, char: str, out: _Out) -> int:
        """``CHARACTER_REFERENCE_TAIL``: a ``;`` (or the end of the input) completes the reference."""
        if end < len(text) and text[end] == ";":
            out.replace(end + 1 - start, char)
            return end + 1
        if end >= len(text):
            out.replace(end - start, char)
            return end
        out.keep(text[start:end])
        return end

    # ------------------------------------------------------------------ markup
    def _markup(self, text: str, i: int, out: _Out) -> int:
        if text.startswith("<!--", i):
            close = text.find("-->", i + 4)
            end = len(text) if close < 0 else close + 3
            out.replace(end - i, "")
            return end
        if text.startswith("<![CDATA[", i):
            out.replace(9, "")
            close = text.find("]]>", i + 9)
            if close < 0:
                out.keep(text[i + 9 :])
                return len(text)
            out.keep(text[i + 9 : close])
            out.replace(3, "")
            return close + 3
        if text.startswith("<!", i):
            close = text.find(">", i + 2)
            if close < 0:
                out.keep(text[i:])
                return len(text)
            out.replace(close + 1 - i, "")
            return close + 1
        if text.startswith("<?", i):
            pi = _PROCESSING.match(text, i)
            if pi is not None:
                out.replace(pi.end() - i, "")
                return pi.end()
            out.keep("<")
            return i + 1
        if text.startswith("</", i):
            return self._end_tag(text, i, out)
        return self._start_tag(text, i, out)

    def _start_tag(self, text: str, i: int, out: _Out) -> int:
        br = _BR_START.match(text, i)
        tag = _START_TAG.match(text, i)
        if br is not None and (tag is None or br.end() >= tag.end()):
            return self._substitute(text, i, br.end(), self._escape_br, out)
        raw = _RAW_OPEN.match(text, i)
        if raw is not None:
            return self._raw_element(text, i, raw, out)
        if tag is None:
            out.keep("<")
            return i + 1
        return self._tag(text, i, tag, out)

    def _end_tag(self, text: str, i: int, out: _Out) -> int:
        br = _BR_END.match(text, i)
        if br is not None:
            return self._substitute(text, i, br.end(), self._escape_br, out)
        tag = _END_TAG.match(text, i)
        if tag is None:
            out.keep("</")
            return i + 2
        return self._tag(text, i, tag, out)

    def _tag(self, text: str, i: int, tag: re.Match[str], out: _Out) -> int:
        """A start or end tag: kept when its name is in ``escaped_tags``, else dropped, leaving a newline
        where a block-level element breaks the text (nothing for an inline one)."""
        name = tag.group(2).lower()
        if name in self._escaped:
            out.keep(text[i : tag.end()])
        else:
            out.replace(tag.end() - i, "" if name in _INLINE else "\n")
        return tag.end()

    @staticmethod
    def _substitute(text: str, start: int, end: int, escaped: bool, out: _Out) -> int:
        if escaped:
            out.keep(text[start:end])
        else:
            out.replace(end - start, "\n")
        return end

    def _raw_element(self, text: str, i: int, opening: re.Match[str], out: _Out) -> int:
        """``<script>``/``<style>``: everything up to the closing tag is one newline (or, escaped, the
        tags are kept and only the content removed)."""
        name = opening.group(1).lower()
        close = _RAW_CLOSE[name].search(text, opening.end())
        if name in self._escape_raw:
            out.keep(text[i : opening.end()])
            if close is None:
                out.replace(len(text) - opening.end(), "")
                return len(text)
            out.diff += close.start() - opening.end()
            out.map.add(out.length, out.diff)
            out.keep(text[close.start() : close.end()])
            return close.end()
        if close is None:
            out.replace(len(text) - i, "")
            return len(text)
        out.replace(close.end() - i, "\n")
        return close.end()
