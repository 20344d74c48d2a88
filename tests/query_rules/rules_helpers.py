"""Helpers for the query rules tests: the rulesets the ported YAML setups put, and error capture."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from retrievo.errors import ApiError


def rule(rule_id: str, rule_type: str, criteria: Any, actions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"rule_id": rule_id, "type": rule_type, "criteria": criteria, "actions": actions, **extra}


def exact(metadata: str, *values: Any) -> dict[str, Any]:
    return {"type": "exact", "metadata": metadata, "values": list(values)}


def failure(call: Callable[[], Any]) -> ApiError:
    """The error a call fails with (it must fail)."""
    with pytest.raises(ApiError) as info:
        call()
    return info.value
