"""Reading ML Commons request bodies the way its parsers (OpenSearch's ``XContentParser``) read them, so
a value of the wrong kind gets the message OpenSearch sends for it."""

from __future__ import annotations

from typing import Any

from retrievo.errors import not_supported, parsing_error
from retrievo.xcontent import token as xcontent_token

from . import ml_errors as errors


def text(name: str, value: Any) -> str | None:
    """``XContentParser.text()``: strings, numbers and booleans as text; objects and arrays refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise errors.illegal_argument(f"Can't get text on a {xcontent_token(value)} in [{name}]")


def boolean(name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise errors.illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def string_list(name: str, value: Any, *, nulls: bool = False) -> list[str]:
    if not isinstance(value, list):
        # XContentParserUtils.ensureExpectedToken
        raise parsing_error(
            f"Failed to parse object: expecting token of type [START_ARRAY] but found [{xcontent_token(value)}]"
        )
    out = []
    for item in value:
        if item is None and nulls:
            raise not_supported(f"null entries in [{name}]")
        one = text(name, item)
        if one is None:
            raise errors.illegal_argument(f"Can't get text on a VALUE_NULL in [{name}]")
        out.append(one)
    return out
