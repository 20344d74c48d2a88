"""``java.text.DecimalFormat`` patterns, the ``format`` of numeric aggregations (``"0.00"``,
``"#,##0.0"``, ``"Value is ##0.0"``): what Elasticsearch's ``DocValueFormat.Decimal`` prints in
``value_as_string``/``key_as_string``.

Covered: one positive pattern (a ``;negative`` part is refused), literal prefix/suffix text (quoted with
``'`` or plain), ``0`` and ``#`` digits, one ``,`` grouping size, ``.`` fraction digits, ``%`` (×100) and
``‰`` (×1000). Rounding is ``HALF_EVEN`` on the double's exact binary value, as JDK 8+ rounds.
Exponent (``E``) and currency (``¤``) patterns are refused as not supported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from retrievo.errors import illegal_argument, not_supported

_PATTERN_CHARS = set("0#,.")


@dataclass(frozen=True)
class DecimalFormat:
    prefix: str
    suffix: str
    min_int: int
    min_frac: int
    max_frac: int
    grouping: int  # 0: none
    multiplier: int

    def format(self, value: float) -> str:
        if value != value:  # NaN
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return ("-" if value < 0 else "") + self.prefix + "∞" + self.suffix
        exact = Decimal(value) * self.multiplier
        rounded = exact.quantize(Decimal(1).scaleb(-self.max_frac), rounding=ROUND_HALF_EVEN)
        # Java keeps the sign of what was negative before rounding (-0.001 → "-0.00", -0.0 → "-0")
        negative = math.copysign(1.0, value) < 0
        digits = format(abs(rounded), "f")
        int_part, _, frac_part = digits.partition(".")
        frac_part = frac_part.rstrip("0")
        if len(frac_part) < self.min_frac:
            frac_part = frac_part.ljust(self.min_frac, "0")
        int_part = int_part.lstrip("0")
        if len(int_part) < self.min_int:
            int_part = int_part.rjust(self.min_int, "0")
        if self.grouping and int_part:
            groups: list[str] = []
            while len(int_part) > self.grouping:
                groups.insert(0, int_part[-self.grouping :])
                int_part = int_part[: -self.grouping]
            int_part = ",".join([int_part, *groups]) if int_part else ",".join(groups)
        text = int_part + ("." + frac_part if frac_part else "")
        if not text:
            text = "0"
        return ("-" if negative else "") + self.prefix + text + self.suffix


def compile_decimal_format(pattern: str) -> DecimalFormat:
    """Parse a DecimalFormat pattern (the subset the module docstring lists)."""
    if ";" in pattern:
        raise not_supported(f"a negative subpattern in the number format [{pattern}]")
    prefix, number, suffix, i = "", "", "", 0
    state = "prefix"
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end = pattern.find("'", i + 1)
            if end < 0:
                raise illegal_argument(f'Malformed pattern "{pattern}"')
            literal = "'" if end == i + 1 else pattern[i + 1 : end]
            if state == "number":
                state = "suffix"
            if state == "prefix":
                prefix += literal
            else:
                suffix += literal
            i = end + 1
            continue
        if c in _PATTERN_CHARS:
            if state == "suffix":
                raise illegal_argument(f"Unquoted special character '{c}' in pattern \"{pattern}\"")
            state = "number"
            number += c
        elif c in "E¤":
            raise not_supported(f"the number format [{pattern}]")
        elif state == "prefix":
            prefix += c
        else:
            state = "suffix"
            suffix += c
        i += 1
    multiplier = 100 if "%" in prefix + suffix else 1000 if "‰" in prefix + suffix else 1
    int_spec, _, frac_spec = number.partition(".")
    grouping = len(int_spec) - int_spec.rfind(",") - 1 if "," in int_spec else 0
    int_digits = int_spec.replace(",", "")
    return DecimalFormat(
        prefix=prefix,
        suffix=suffix,
        min_int=int_digits.count("0"),
        min_frac=frac_spec.count("0"),
        max_frac=len(frac_spec),
        grouping=grouping,
        multiplier=multiplier,
    )
