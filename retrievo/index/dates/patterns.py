"""Java ``DateTimeFormatter`` patterns (``yyyy-MM-dd HH:mm:ss``, ``dd.MM.yyyy``...) compiled into
format elements."""

from __future__ import annotations

from retrievo.index.dates.elements import Element, Frac, Lit, Num, Offset, Opt, Year2
from retrievo.index.dates.errors import DateFormatError

__all__ = ["tokenize_pattern"]


_UNSUPPORTED_LETTER_HINT = {
    "M": "month names (MMM) are not supported",
    "L": "month names are not supported",
    "E": "day-of-week names are not supported",
    "e": "localized day-of-week is not supported",
    "a": "am/pm markers are not supported",
    "h": "12-hour clocks are not supported",
    "K": "12-hour clocks are not supported",
    "k": "clock-hour-of-day is not supported",
    "z": "time-zone names are not supported",
    "V": "time-zone ids are not supported",
    "O": "localized offsets are not supported",
    "Y": "week-based years are not supported (did you mean yyyy?)",
    "D": "day-of-year is not supported (did you mean dd?)",
    "w": "week-of-year is not supported",
    "G": "eras are not supported",
}

_OFFSET_STYLES = {
    ("X", 1): ("+HHmm", "Z"),
    ("X", 2): ("+HHMM", "Z"),
    ("X", 3): ("+HH:MM", "Z"),
    ("X", 4): ("+HHMMss", "Z"),
    ("X", 5): ("+HH:MM:ss", "Z"),
    ("x", 1): ("+HHmm", None),
    ("x", 2): ("+HHMM", None),
    ("x", 3): ("+HH:MM", None),
    ("x", 4): ("+HHMMss", None),
    ("x", 5): ("+HH:MM:ss", None),
    ("Z", 1): ("+HHMM", None),
    ("Z", 2): ("+HHMM", None),
    ("Z", 3): ("+HHMM", None),
    ("Z", 5): ("+HH:MM:ss", "Z"),
}

_LETTER_FIELDS = {"M": "month", "d": "day", "H": "hour", "m": "minute", "s": "second"}


def _letter_element(pattern: str, letter: str, count: int) -> Element:
    """One run of a pattern letter, as java.time's ``DateTimeFormatterBuilder.appendPattern``."""
    if letter in ("y", "u"):
        if count == 2:
            return Year2()
        return Num("year", count if count != 2 else 2, 19, pad=count)
    if letter in _LETTER_FIELDS and count <= 2:
        return Num(_LETTER_FIELDS[letter], count, 2 if count == 2 else 19, pad=count)
    if letter in _LETTER_FIELDS:
        if letter == "M":
            raise DateFormatError(pattern, _UNSUPPORTED_LETTER_HINT["M"])
        raise DateFormatError(pattern, f"too many pattern letters: {letter}")
    if letter == "S":
        return Frac(count, count, count)
    if (letter, count) in _OFFSET_STYLES:
        style, zulu = _OFFSET_STYLES[(letter, count)]
        return Offset(style, zulu)
    if letter in _UNSUPPORTED_LETTER_HINT:
        raise DateFormatError(pattern, _UNSUPPORTED_LETTER_HINT[letter])
    raise DateFormatError(pattern, f"pattern letter [{letter * count}] is not supported")


def tokenize_pattern(pattern: str) -> tuple[Element, ...]:
    """Compiles a Java pattern into elements, handling quotes and ``[...]`` optional sections."""
    stack: list[list[Element]] = [[]]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch.isascii() and ch.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == ch:
                j += 1
            stack[-1].append(_letter_element(pattern, ch, j - i))
            i = j
        elif ch == "'":
            end = i + 1
            literal: list[str] = []
            while True:
                if end >= len(pattern):
                    raise DateFormatError(pattern, "pattern ends with an incomplete string literal")
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            stack[-1].append(Lit("".join(literal) if literal or end > i + 1 else "'"))
            i = end + 1
        elif ch == "[":
            stack.append([])
            i += 1
        elif ch == "]":
            if len(stack) == 1:
                raise DateFormatError(pattern, "pattern invalid as it contains ] without previous [")
            section = tuple(stack.pop())
            stack[-1].append(Opt(section))
            i += 1
        elif ch in "{}#":
            raise DateFormatError(pattern, f"pattern includes reserved character: '{ch}'")
        else:
            stack[-1].append(Lit(ch))
            i += 1
    while len(stack) > 1:
        section = tuple(stack.pop())
        stack[-1].append(Opt(section))
    return _reserve_adjacent(tuple(stack[0]))


def _reserve_adjacent(elements: tuple[Element, ...]) -> tuple[Element, ...]:
    """java.time's adjacent value parsing: a variable-width number followed directly by
    fixed-width numbers (``yyyyMMdd``) leaves them their digits."""
    result = list(elements)
    for index, element in enumerate(result):
        if isinstance(element, Opt):
            result[index] = Opt(_reserve_adjacent(element.elements))
            continue
        if not isinstance(element, Num) or element.fixed:
            continue
        reserved = 0
        for follower in result[index + 1 :]:
            if isinstance(follower, Num) and follower.fixed:
                reserved += follower.max_width
            elif isinstance(follower, Year2):
                reserved += 2
            elif isinstance(follower, Frac) and follower.min_width == follower.max_width:
                reserved += follower.max_width
            else:
                break
        if reserved:
            result[index] = Num(element.field, element.min_width, element.max_width, reserved, element.pad)
    return tuple(result)
