"""The common base of every AST node.

AST nodes are immutable pydantic models. Each one prints itself back to Elasticsearch JSON with
``to_json()``; that printed form is the canonical form used as a cache key and for round trips.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Node(BaseModel):
    """Base of all AST nodes: frozen, strict about unknown attributes, printable as JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    kind: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:  # pragma: no cover - every node overrides
        raise NotImplementedError

    def canonical(self) -> str:
        """A stable string for the node: equal for equal trees, usable as a dict key."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))


def drop_defaults(body: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Remove keys whose value is None or equals the default, so printed JSON stays minimal."""
    return {k: v for k, v in body.items() if v is not None and not (k in defaults and defaults[k] == v)}
