"""``random_reranker``: give each document of a child's window a reproducible random score.

Elasticsearch's inference plugin registers it in production (``RandomRankRetrieverBuilder``, a
``RankBuilder`` run in the rank-feature phase): it exists to test reranking pipelines without a model.
Each document of the child's top ``rank_window_size`` scores ``new java.util.Random(s).nextFloat()``
where ``s`` is the document's shard-level doc id, plus ``seed`` when one is given (an ``int`` sum, so it
wraps); the window is then sorted by that score, highest first. ``field`` is required: documents
without a value for it are dropped, as every rank-feature reranker drops them, but the value itself plays
no part in the score.

At the top level it is validated as a rank builder (``SearchSourceBuilder.validate``): ``size`` (10 when
the request leaves it out) must be positive and at most the window, with the ``[rank]`` messages.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from retrievo.errors import validation_error
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE
from retrievo.retrievers.retriever import WrappingRetriever, check_not_negative

#: Elasticsearch's ``SearchService.DEFAULT_SIZE``: what the rank builder checks when ``size`` is unset.
DEFAULT_SIZE = 10


class _Nested:
    """The ``size`` a parent validates its children with: none (see :meth:`RandomReranker.validate_tree`)."""


NESTED: Final = _Nested()


class RandomReranker(WrappingRetriever):
    kind: ClassVar[str] = "random_reranker"
    field: str
    #: Added to each doc id before seeding Java's generator; ``None``: the doc id alone.
    seed: int | None = None

    def validate_tree(self, size: int | _Nested | None = NESTED) -> None:
        """The search validates the top-level retriever with the request's ``size`` (``None`` when unset)
        and a parent its children with nothing: a rank builder tells the two apart, because Elasticsearch
        checks it against ``size`` even when the request left ``size`` to its default."""
        if isinstance(size, _Nested):
            check_not_negative(self.rank_window_size)
        else:
            self.check_window(DEFAULT_SIZE if size is None else size)
        self.retriever.validate_tree()

    def check_window(self, size: int | None = None) -> None:
        """Top level: ``SearchSourceBuilder.validate``'s rank-builder checks, numbered together. Nested,
        Elasticsearch checks the window against its parent's (the size of the child search it runs in),
        which this node cannot see: only its sign is checked."""
        if size is None:
            check_not_negative(self.rank_window_size)
            return
        problems: list[str] = []
        if size == 0:
            problems.append("[rank] requires [size] greater than [0]")
        if size > self.rank_window_size:
            window = self.rank_window_size
            problems.append(f"[rank] requires [rank_window_size: {window}] be greater than or equal to [size: {size}]")
        if problems:
            raise validation_error(*problems)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "rank_window_size": self.rank_window_size}
        if self.seed is not None:
            out["seed"] = self.seed
        return {**out, **super().describe()}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"retriever": self.retriever.to_json(), "field": self.field}
        if self.rank_window_size != DEFAULT_RANK_WINDOW_SIZE:
            body["rank_window_size"] = self.rank_window_size
        if self.seed is not None:
            body["seed"] = self.seed
        return {"random_reranker": {**body, **self._base_json()}}
