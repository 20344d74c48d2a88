"""Format elements: a tiny java.time-like parser and printer that compiled formats are made of."""

from __future__ import annotations

from dataclasses import dataclass


class ParseFailure(Exception):
    """Parsing stopped at ``index`` of the text (java.time's ``could not be parsed at index N``)."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


@dataclass(frozen=True)
class Num:
    """A run of ASCII digits for one field; ``reserved`` digits are left for adjacent fixed fields."""

    field: str
    min_width: int
    max_width: int
    reserved: int = 0
    pad: int = 1  # printing: zero-pad to this width

    @property
    def fixed(self) -> bool:
        return self.min_width == self.max_width


@dataclass(frozen=True)
class Year2:
    """``yy``: two digits, base year 2000 (java.time's reduced value)."""


@dataclass(frozen=True)
class Frac:
    """Fraction of second (nanos), ``min_width``..``max_width`` digits; prints ``print_width``."""

    min_width: int
    max_width: int
    print_width: int = 3


@dataclass(frozen=True)
class Lit:
    """Literal text; ``alternatives`` lets ISO fractions use ``.`` or ``,``."""

    text: str
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offset:
    """A zone offset. ``style``: ``iso`` (Z, ±HH, ±HHmm, ±HH:mm, ±HH:mm:ss, UTC, GMT) or a
    java.time offset pattern (``+HHmm``, ``+HHMM``, ``+HH:MM``, ``+HHMMss``, ``+HH:MM:ss``);
    ``zulu`` is the text standing for zero (``Z``) or ``None`` when zero prints as digits."""

    style: str
    zulu: str | None = "Z"


@dataclass(frozen=True)
class Opt:
    """An optional section: parsed if it matches as a whole, skipped otherwise."""

    elements: tuple[Element, ...]


Element = Num | Year2 | Frac | Lit | Offset | Opt


def _count_digits(text: str, pos: int) -> int:
    end = pos
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return end - pos


def parse_offset(element: Offset, text: str, pos: int) -> tuple[int, int]:
    """Returns ``(offset_seconds, new_pos)`` or raises :class:`ParseFailure`."""
    if element.zulu is not None and text.startswith(element.zulu, pos):
        return 0, pos + len(element.zulu)
    if element.style == "iso":
        for name in ("UTC", "GMT"):
            if text.startswith(name, pos):
                return 0, pos + len(name)
    if pos >= len(text) or text[pos] not in "+-":
        raise ParseFailure(pos)
    sign = -1 if text[pos] == "-" else 1
    p = pos + 1

    def two(at: int) -> int:
        if _count_digits(text, at) < 2:
            raise ParseFailure(at)
        return int(text[at : at + 2])

    hours = two(p)
    p += 2
    minutes = seconds = 0
    style = element.style
    if style == "iso":
        if p < len(text) and text[p] == ":":
            minutes = two(p + 1)
            p += 3
            if p < len(text) and text[p] == ":" and _count_digits(text, p + 1) >= 2:
                seconds = two(p + 1)
                p += 3
        elif _count_digits(text, p) >= 2:
            minutes = two(p)
            p += 2
    elif style == "+HHmm":
        if _count_digits(text, p) >= 2:
            minutes = two(p)
            p += 2
    elif style in ("+HHMM", "+HHMMss"):
        minutes = two(p)
        p += 2
        if style == "+HHMMss" and _count_digits(text, p) >= 2:
            seconds = two(p)
            p += 2
    elif style in ("+HH:MM", "+HH:MM:ss"):
        if p >= len(text) or text[p] != ":":
            raise ParseFailure(p)
        minutes = two(p + 1)
        p += 3
        if style == "+HH:MM:ss" and p < len(text) and text[p] == ":":
            seconds = two(p + 1)
            p += 3
    if hours > 18 or minutes > 59 or seconds > 59:
        raise ParseFailure(pos)
    return sign * (hours * 3600 + minutes * 60 + seconds), p


def match_elements(elements: tuple[Element, ...], text: str, pos: int, out: dict[str, int]) -> int:
    """Parses ``elements`` from ``text[pos:]`` into ``out``; returns the new position."""
    for element in elements:
        if isinstance(element, Opt):
            trial = dict(out)
            try:
                pos = match_elements(element.elements, text, pos, trial)
            except ParseFailure:
                continue
            out.clear()
            out.update(trial)
        elif isinstance(element, Lit):
            for candidate in (element.text, *element.alternatives):
                if text.startswith(candidate, pos):
                    pos += len(candidate)
                    break
            else:
                raise ParseFailure(pos)
        elif isinstance(element, Num):
            available = _count_digits(text, pos)
            take = min(element.max_width, available - element.reserved)
            if take < element.min_width:
                raise ParseFailure(pos)
            out[element.field] = int(text[pos : pos + take])
            pos += take
        elif isinstance(element, Year2):
            if _count_digits(text, pos) < 2:
                raise ParseFailure(pos)
            out["year"] = 2000 + int(text[pos : pos + 2])
            pos += 2
        elif isinstance(element, Frac):
            available = min(_count_digits(text, pos), element.max_width)
            if available < element.min_width:
                raise ParseFailure(pos)
            digits = text[pos : pos + available]
            out["nano"] = int(digits.ljust(9, "0")[:9])
            pos += available
        else:
            out["offset"], pos = parse_offset(element, text, pos)
    return pos


def _print_offset(element: Offset, offset_seconds: int = 0) -> str:
    """The offset in the element's style (values are printed in UTC unless a time zone shifted them,
    as ``date_histogram``'s ``time_zone`` does: then java.time prints that zone's offset)."""
    if offset_seconds == 0:
        if element.zulu is not None:
            return element.zulu
        return {"+HHmm": "+00", "+HHMM": "+0000", "+HHMMss": "+0000", "+HH:MM": "+00:00", "+HH:MM:ss": "+00:00"}.get(
            element.style, "Z"
        )
    sign = "-" if offset_seconds < 0 else "+"
    minutes_total, seconds = divmod(abs(offset_seconds), 60)
    hours, minutes = divmod(minutes_total, 60)
    hh, mm, ss = f"{hours:02d}", f"{minutes:02d}", f"{seconds:02d}"
    if element.style in ("+HHmm",):
        return sign + hh + (mm if minutes or seconds else "")
    if element.style in ("+HHMM", "+HHMMss"):
        return sign + hh + mm + (ss if element.style == "+HHMMss" and seconds else "")
    return sign + hh + ":" + mm + (":" + ss if seconds else "")  # iso, +HH:MM, +HH:MM:ss


def render_elements(elements: tuple[Element, ...], parts: dict[str, int]) -> str:
    out: list[str] = []
    for element in elements:
        if isinstance(element, Opt):
            out.append(render_elements(element.elements, parts))
        elif isinstance(element, Lit):
            out.append(element.text)
        elif isinstance(element, Num):
            value = parts[element.field]
            out.append(("-" if value < 0 else "") + str(abs(value)).zfill(element.pad))
        elif isinstance(element, Year2):
            out.append(str(parts["year"] % 100).zfill(2))
        elif isinstance(element, Frac):
            digits = str(parts["nano"]).zfill(9)
            if element.print_width < 0:  # appendFraction(NANO_OF_SECOND, -w, 9): trailing zeros cut to -w digits
                out.append(digits.rstrip("0").ljust(-element.print_width, "0"))
            else:
                out.append(digits[: element.print_width])
        else:
            out.append(_print_offset(element, parts.get("offset_seconds", 0)))
    return "".join(out)


ISO_OFFSET = Offset("iso")
