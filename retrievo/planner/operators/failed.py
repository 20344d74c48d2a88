"""``Failed``: a child retriever whose query cannot be built on the shard, failing when it runs.

Elasticsearch builds a child's Lucene query on the shard while the child's search runs, so a query
that cannot be built there (``match`` on a ``dense_vector`` field, say) fails that child's search, and
the parent compound retriever reports it among its children's failures (``[rrf] search failed -
retrievers '[standard]' returned errors``). retrievo builds queries while planning; a fusion plans a
child whose shard failure surfaces then as this operator, so the failure reaches the parent at run
time and is wrapped exactly as a failure of the running child would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrievo.errors import ApiError
from retrievo.planner.operators.base import ExecContext, Operator

SHARD_FAILURE = "search_phase_execution_exception"


def is_shard_failure(err: ApiError) -> bool:
    """Whether ``err`` is a failed shard search (what a child's search answers), not a request error."""
    body = err.body if isinstance(err.body, dict) else {}
    error = body.get("error")
    return isinstance(error, dict) and error.get("type") == SHARD_FAILURE


@dataclass
class Failed(Operator):
    """Raises the shard failure it was planned with; hands nothing out."""

    error: ApiError | None = None
    name: str = "Failed"

    def describe(self) -> dict[str, Any]:
        error = self.error.body.get("error", {}) if self.error is not None else {}
        cause = error.get("caused_by", {}) if isinstance(error, dict) else {}
        return {"error": cause.get("reason", error.get("reason", "")) if isinstance(cause, dict) else ""}

    def run(self, ctx: ExecContext) -> Any:
        assert self.error is not None
        raise self.error
