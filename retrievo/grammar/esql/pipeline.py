"""ES|QL commands → the retriever AST, following Elasticsearch's ES|QL semantics.

A query in the subset is a chain of *stages*; each stage is one retriever wrapping the previous one:

=======================================================  ===========================================
ES|QL                                                    retriever
=======================================================  ===========================================
``WHERE <cond> | SORT _score DESC | LIMIT n``            ``standard`` (or ``knn``), its top ``n``
``WHERE ... | LIMIT n`` (no ``SORT``)                    ``standard`` sorted by ``_doc``: the first
                                                         ``n`` matches in index order, as ES|QL reads
``WHERE ... | SORT f DESC, _score DESC | LIMIT n``       ``standard`` with ``sort``
``FORK (...) (...) | FUSE [RRF|LINEAR] ... | SORT         ``rrf`` / ``linear``; each branch is a child,
_score DESC | LIMIT m``                                  the branches' ``LIMIT`` its ``rank_window_size``
``... | LIMIT w | RERANK "q" ON f | SORT _score DESC``   ``text_similarity_reranker`` over the stage
                                                         before it, ``rank_window_size`` ``w``
=======================================================  ===========================================

Where ES|QL and the retriever API differ, ES|QL wins (docs/esql.md lists them): no ``LIMIT`` means
1000 rows (ES|QL's default, not the retriever's 10); a ``FORK`` branch without ``LIMIT`` keeps 1000
rows (the implicit branch limit of Elasticsearch 9.1–9.3); ``RERANK`` reranks at most 1000 rows
(``esql.command.rerank.limit``); scores of rows without a full-text condition are 0. What the chain
cannot express as retrievers (a ``WHERE`` after ``LIMIT``, branches with different limits, …) is
reported as not supported, never approximated.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from retrievo.grammar.esql.columns import all_columns
from retrievo.grammar.esql.columns import keep as keep_columns
from retrievo.grammar.esql.conditions import WhereContext
from retrievo.grammar.esql.errors import Pos, Problems, not_supported, syntax_error, verification_error
from retrievo.grammar.esql.esql_types import esql_type
from retrievo.grammar.esql.model import DEFAULT_METADATA, METADATA_FIELDS, OTHER_METADATA_FIELDS, SCORE, EsqlQuery
from retrievo.grammar.esql.syntax import parse_syntax
from retrievo.grammar.esql.syntax_tree import (
    EsqlSyntax,
    Field,
    ForkCmd,
    FuseCmd,
    KeepCmd,
    LimitCmd,
    RerankCmd,
    SortCmd,
    SortItem,
    WhereCmd,
)
from retrievo.grammar.esql.where import WherePlan, translate_where
from retrievo.retrievers.fusion import DEFAULT_RANK_CONSTANT, LinearRetriever, RetrieverEntry, RrfRetriever
from retrievo.retrievers.knn import KnnRetriever
from retrievo.retrievers.queries import MatchAllQuery
from retrievo.retrievers.rerank import DEFAULT_RERANK_INFERENCE_ID, TextSimilarityReranker
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.search import SearchRequest
from retrievo.retrievers.sort import SortField
from retrievo.retrievers.standard import StandardRetriever

#: ``esql.query.result_truncation_default_size``: rows returned when no ``LIMIT`` says otherwise.
DEFAULT_LIMIT = 1000
#: ``esql.query.result_truncation_max_size``: a larger ``LIMIT`` is cut to this.
MAX_LIMIT = 10_000
#: The implicit ``LIMIT`` of a ``FORK`` branch (Elasticsearch 9.1–9.3).
FORK_BRANCH_LIMIT = 1000
#: ``esql.command.rerank.limit``: the most rows ``RERANK`` scores.
RERANK_LIMIT = 1000
MAX_FORK_BRANCHES = 8
DOC_ORDER = (SortField(field="_doc", order="asc"),)
FUSE_METHODS = ("RRF", "LINEAR")
NORMALIZERS = ("none", "minmax", "l2_norm")
#: ES|QL types its SORT refuses ("cannot sort on <type>").
UNSORTABLE_TYPES = frozenset({"dense_vector", "unsupported"})

#: Resolves the index named in ``FROM`` to its fields (``path → Elasticsearch type``), or ``None``
#: when there is no such index.
FieldsResolver = Callable[[str], "Mapping[str, str] | None"]


@dataclass
class _Stage:
    """One stage of the chain: its head (what it does), then an optional SORT and LIMIT."""

    kind: str  # "retrieve" | "fuse" | "rerank"
    wheres: list[WhereCmd] = field(default_factory=list)
    fork: ForkCmd | None = None
    fuse: FuseCmd | None = None
    rerank: RerankCmd | None = None
    sort: SortCmd | None = None
    limit: int | None = None
    limit_pos: Pos | None = None
    #: How many KEEP commands came before each WHERE / the SORT (a later column reference must
    #: name a column those KEEPs kept).
    where_keeps: list[int] = field(default_factory=list)
    sort_keeps: int = 0


class _Translator:
    def __init__(self, syntax: EsqlSyntax, fields: Mapping[str, str] | None) -> None:
        self.text = syntax.text
        self.syntax = syntax
        self.fields = fields
        self.problems = Problems(self.text)
        self.metadata: tuple[str, ...] = ()
        self.keep: list[tuple[tuple[str, Pos], ...]] = []

    # ------------------------------------------------------------ helpers
    def unsupported(self, pos: Pos, what: str) -> Exception:
        return not_supported(self.text, pos, what)

    def where_context(self) -> WhereContext:
        return WhereContext(self.text, self.fields, self.metadata)

    def column_known(self, name: str, pos: Pos) -> bool:
        """Metadata columns need ``METADATA``; fields need the index to have them."""
        if name in METADATA_FIELDS or name == "_fork":
            if name == "_fork" or name in self.metadata:
                return True
            self.problems.add(pos, f"Unknown column [{name}]")
            return False
        if self.fields is not None and name not in self.fields:
            self.where_context().column(Field(name, pos))
            self.problems.add(pos, f"Unknown column [{name}]")
            return False
        return True

    # ------------------------------------------------------------ FROM
    def source(self) -> str:
        src = self.syntax.source
        if len(src.indices) > 1:
            raise self.unsupported(src.indices[1][1], "FROM with more than one index")
        index, index_pos = src.indices[0]
        if any(c in index for c in "*,:"):
            raise self.unsupported(index_pos, f"index patterns and remote indices in FROM [{index}]")
        seen: list[str] = []
        for name, pos in src.metadata:
            if name in OTHER_METADATA_FIELDS:
                raise self.unsupported(pos, f"METADATA {name}")
            if name not in METADATA_FIELDS:
                self.problems.add(pos, f"unsupported metadata field [{name}]")
            elif name not in seen:
                seen.append(name)
        self.metadata = tuple(seen)
        return index

    # ------------------------------------------------------------ stages
    def stages(self, commands: Sequence[Any], in_branch: bool) -> list[_Stage]:
        stages: list[_Stage] = [_Stage("retrieve")]
        for cmd in commands:
            cur = stages[-1]
            if isinstance(cmd, WhereCmd):
                if cur.kind != "retrieve" or cur.limit is not None:
                    after = "LIMIT" if cur.limit is not None else cur.kind.upper()
                    raise self.unsupported(cmd.pos, f"WHERE after {after} (a filter on rows already limited)")
                cur.wheres.append(cmd)
                cur.where_keeps.append(0 if in_branch else len(self.keep))
            elif isinstance(cmd, SortCmd):
                if cur.limit is not None:
                    raise self.unsupported(cmd.pos, "SORT after LIMIT (sorting rows already limited)")
                if cur.sort is not None:
                    raise self.unsupported(cmd.pos, "a second SORT in one stage")
                if cur.kind == "fuse" and cur.fuse is None:
                    raise self.unsupported(cmd.pos, "FORK without FUSE")
                cur.sort = cmd
                cur.sort_keeps = 0 if in_branch else len(self.keep)
            elif isinstance(cmd, LimitCmd):
                if cur.kind == "fuse" and cur.fuse is None:
                    raise self.unsupported(cmd.pos, "FORK without FUSE")
                cur.limit = cmd.limit if cur.limit is None else min(cur.limit, cmd.limit)
                cur.limit_pos = cmd.pos
            elif isinstance(cmd, KeepCmd):
                if cur.kind == "fuse" and cur.fuse is None:
                    raise self.unsupported(cmd.pos, "FORK without FUSE")
                self.keep.append(cmd.patterns)
            elif isinstance(cmd, ForkCmd):
                if in_branch or len(stages) > 1:
                    raise self.unsupported(cmd.pos, "FORK after FUSE or RERANK (one FORK, as the first stage)")
                if cur.sort is not None or cur.limit is not None:
                    raise self.unsupported(cmd.pos, "FORK after SORT or LIMIT")
                if self.keep:
                    raise self.unsupported(cmd.pos, "FORK after KEEP")
                cur.kind, cur.fork = "fuse", cmd
            elif isinstance(cmd, FuseCmd):
                if cur.kind != "fuse" or cur.fuse is not None or cur.sort is not None or cur.limit is not None:
                    raise self.unsupported(cmd.pos, "FUSE that does not directly follow FORK")
                cur.fuse = cmd
            elif isinstance(cmd, RerankCmd):
                if cur.kind == "fuse" and cur.fuse is None:
                    raise self.unsupported(cmd.pos, "FORK without FUSE")
                self.check_stage_sort(cur)
                stages.append(_Stage("rerank", rerank=cmd))
            else:  # pragma: no cover - the grammar admits nothing else
                raise self.unsupported(Pos(1, 1), type(cmd).__name__)
        last = stages[-1]
        if last.kind == "fuse" and last.fuse is None:
            raise self.unsupported(last.fork.pos if last.fork else Pos(1, 1), "FORK without FUSE")
        self.check_stage_sort(last)
        return stages

    def check_stage_sort(self, stage: _Stage) -> None:
        """FUSE and RERANK do not order rows; retrievo needs the ``SORT`` that orders them by the new
        score, which is what the fused and reranked retrievers return."""
        if stage.kind == "retrieve":
            return
        column = SCORE
        if stage.kind == "rerank" and stage.rerank is not None and stage.rerank.column is not None:
            column = stage.rerank.column[0]
        head = "FUSE" if stage.kind == "fuse" else "RERANK"
        pos = stage.fuse.pos if stage.kind == "fuse" and stage.fuse else stage.rerank.pos  # type: ignore[union-attr]
        items = stage.sort.items if stage.sort else ()
        ok = (
            len(items) == 1
            and isinstance(items[0].expr, Field)
            and items[0].expr.name == column
            and items[0].order == "desc"
        )
        if not ok:
            where = stage.sort.pos if stage.sort else pos
            raise self.unsupported(
                where,
                f"{head} not followed by SORT {column} DESC (retrievo returns the "
                f"{'fused' if head == 'FUSE' else 'reranked'} rows ordered by the new score)",
            )

    # ------------------------------------------------------------ SORT
    def sort_fields(self, cmd: SortCmd | None, keeps: int) -> tuple[SortField, ...]:
        if cmd is None:
            return DOC_ORDER
        out: list[SortField] = []
        for item in cmd.items:
            out.append(self.sort_field(item, keeps))
        if len(out) == 1 and out[0].field == SCORE and out[0].order == "desc":
            return ()
        return tuple(out)

    def sort_field(self, item: SortItem, keeps: int) -> SortField:
        if not isinstance(item.expr, Field):
            raise self.unsupported(item.pos, "SORT on an expression")
        name = item.expr.name
        order: Literal["asc", "desc"] = "desc" if item.order == "desc" else "asc"
        if name in ("_id", "_index", "_fork"):
            raise self.unsupported(item.pos, f"SORT on [{name}]")
        if self.column_known(name, item.pos):
            self.check_kept(name, item.pos, keeps)
        if name == SCORE:
            return SortField(field=SCORE, order=order)
        nulls = item.nulls or ("last" if order == "asc" else "first")
        es_type = self.fields.get(name) if self.fields is not None else None
        if es_type in ("text", "semantic_text", "match_only_text"):
            raise self.unsupported(item.pos, f"SORT on the text field [{name}]")
        if es_type is not None and esql_type(es_type) in UNSORTABLE_TYPES:
            self.problems.add(item.pos, f"cannot sort on {esql_type(es_type)}")
        return SortField(field=name, order=order, missing=f"_{nulls}")

    def check_kept(self, name: str, pos: Pos, keeps: int) -> None:
        for patterns in self.keep[:keeps]:
            if not any(fnmatch.fnmatchcase(name, p) for p, _ in patterns):
                self.problems.add(pos, f"Unknown column [{name}]")
                return

    # ------------------------------------------------------------ stages → retrievers
    def retrieve(self, stage: _Stage, k: int) -> Retriever:
        ctx = self.where_context()
        conditions = [w.expr for w in stage.wheres]
        plan = translate_where(conditions, ctx)
        for w, keeps in zip(stage.wheres, stage.where_keeps):
            for name, pos in _fields_in(w.expr):
                self.check_kept(name, pos, keeps)
        sort = self.sort_fields(stage.sort, stage.sort_keeps)
        return _retriever(plan, sort, k)

    def fork(self, stage: _Stage) -> tuple[Retriever, int]:
        """The compound retriever of ``FORK ... | FUSE ...``, and its window."""
        assert stage.fork is not None and stage.fuse is not None
        fork, fuse = stage.fork, stage.fuse
        if len(fork.branches) < 2:
            self.problems.add(fork.pos, "Fork requires at least two branches")
        if len(fork.branches) > MAX_FORK_BRANCHES:
            self.problems.add(fork.pos, f"Fork supports up to {MAX_FORK_BRANCHES} branches")
        self.problems.raise_if_any()
        children: list[Retriever] = []
        windows: list[tuple[int, Pos]] = []
        for commands, pos in zip(fork.branches, fork.branch_pos):
            branch = self.stages(commands, in_branch=True)
            child, window = self.chain(branch, FORK_BRANCH_LIMIT)
            windows.append((window, branch[-1].limit_pos or pos))
            children.append(child)
        first = windows[0][0]
        for window, pos in windows[1:]:
            if window != first:
                raise self.unsupported(
                    pos, "FORK branches with different LIMITs (a retriever gives every child the same rank_window_size)"
                )
        prefilter = translate_where([w.expr for w in stage.wheres], self.where_context())
        if prefilter.scoring:
            raise self.unsupported(stage.wheres[0].pos, "a scoring WHERE before FORK (only filters may precede FORK)")
        for name in ("_id", "_index", SCORE):
            if name not in self.metadata:
                self.problems.add(fuse.pos, f"Unknown column [{name}]")
        return self.fuse(fuse, tuple(children), first, prefilter.filters), first

    def fuse(self, cmd: FuseCmd, children: tuple[Retriever, ...], window: int, filters: tuple[Any, ...]) -> Retriever:
        method = (cmd.method or "RRF").upper()
        if method not in FUSE_METHODS:
            raise syntax_error(
                self.text,
                cmd.method_pos or cmd.pos,
                f"Fuse type [{cmd.method}] is not supported, expected one of [RRF, LINEAR]",
            )
        if cmd.score_by is not None and cmd.score_by[0] != SCORE:
            raise self.unsupported(cmd.score_by[1], f"FUSE SCORE BY [{cmd.score_by[0]}] (only _score)")
        if cmd.group_by is not None and cmd.group_by[0] != "_fork":
            raise self.unsupported(cmd.group_by[1], f"FUSE GROUP BY [{cmd.group_by[0]}] (only _fork)")
        if cmd.key_by is not None and sorted(n for n, _ in cmd.key_by) not in (["_id"], ["_id", "_index"]):
            raise self.unsupported(
                cmd.key_by[0][1], f"FUSE KEY BY [{', '.join(n for n, _ in cmd.key_by)}] (only _id, _index)"
            )
        options = cmd.options.as_dict() if cmd.options is not None else {}
        allowed = ("rank_constant", "weights") if method == "RRF" else ("normalizer", "weights")
        for key in options:
            if key not in allowed:
                self.problems.add(cmd.pos, f"unknown option [{key}] in [{_fuse_text(cmd, self.text)}]")
        weights = self.weights(cmd, options.get("weights"), len(children))
        entries = tuple(RetrieverEntry(retriever=c, weight=w) for c, w in zip(children, weights))
        if method == "RRF":
            rank_constant = options.get("rank_constant", DEFAULT_RANK_CONSTANT)
            if isinstance(rank_constant, bool) or not isinstance(rank_constant, (int, float)):
                self.problems.add(cmd.pos, f"expected rank_constant to be numeric, got [{rank_constant}]")
            elif rank_constant <= 0:
                self.problems.add(cmd.pos, f"expected rank_constant to be positive, got [{rank_constant}]")
            elif float(rank_constant) != int(rank_constant) or rank_constant < 1:
                raise self.unsupported(
                    cmd.pos, f"a fractional rank_constant [{rank_constant}] (the rrf retriever takes an integer >= 1)"
                )
            self.problems.raise_if_any()
            return RrfRetriever(
                retrievers=entries, rank_constant=int(rank_constant), rank_window_size=window, filter=filters
            )
        normalizer = options.get("normalizer")
        if normalizer is not None:
            if not isinstance(normalizer, str):
                self.problems.add(cmd.pos, f"expected normalizer to be a string, got [{normalizer}]")
            elif normalizer.lower() not in NORMALIZERS:
                self.problems.add(cmd.pos, f"[{normalizer}] is not a valid normalizer")
            else:
                normalizer = normalizer.lower()
        self.problems.raise_if_any()
        return LinearRetriever(retrievers=entries, normalizer=normalizer, rank_window_size=window, filter=filters)

    def weights(self, cmd: FuseCmd, raw: Any, n: int) -> list[float]:
        out = [1.0] * n
        if raw is None:
            return out
        if not isinstance(raw, dict):
            self.problems.add(cmd.pos, f"expected weights to be a MapExpression, got [{raw}]")
            return out
        for key, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.problems.add(cmd.pos, f"expected weight to be numeric, got [{value}]")
                continue
            if value <= 0:
                self.problems.add(cmd.pos, f"expected weight to be positive, got [{value}]")
                continue
            if key.startswith("fork") and key[4:].isdigit() and 1 <= int(key[4:]) <= n:
                out[int(key[4:]) - 1] = float(value)
        return out

    def reranker(self, cmd: RerankCmd, child: Retriever, window: int, last: bool) -> TextSimilarityReranker:
        if len(cmd.fields) > 1:
            raise self.unsupported(
                cmd.fields[1][1],
                "RERANK on more than one field (the text_similarity_reranker retriever reads one field)",
            )
        name, pos = cmd.fields[0]
        if name in METADATA_FIELDS or name == "_fork":
            raise self.unsupported(pos, f"RERANK on [{name}]")
        self.column_known(name, pos)
        if cmd.column is not None and cmd.column[0] != SCORE and not last:
            raise self.unsupported(cmd.column[1], "RERANK into a column other than _score before another stage")
        options = cmd.options.as_dict() if cmd.options is not None else {}
        inference_id = options.pop("inference_id", DEFAULT_RERANK_INFERENCE_ID)
        for key in options:
            self.problems.add(cmd.pos, f"Invalid option [{key}] in [RERANK], expected one of [inference_id]")
        if not isinstance(inference_id, str):
            self.problems.add(
                cmd.pos, f"Invalid option [inference_id] in [RERANK], expected a string, found [{inference_id}]"
            )
        self.problems.raise_if_any()
        return TextSimilarityReranker(
            retriever=child, field=name, inference_text=cmd.text, inference_id=inference_id, rank_window_size=window
        )

    # ------------------------------------------------------------ the chain
    def chain(self, stages: list[_Stage], final_default: int) -> tuple[Retriever, int]:
        """The retriever of a chain of stages and how many rows it hands on. A stage feeding a RERANK
        hands on at most ``RERANK_LIMIT`` rows; the last stage its ``LIMIT`` (``final_default`` when
        it has none); FUSE and RERANK never hand on more rows than they received."""
        retriever: Retriever | None = None
        out = 0
        for i, stage in enumerate(stages):
            limit = None if stage.limit is None else min(stage.limit, MAX_LIMIT)
            if i + 1 < len(stages):
                rows = RERANK_LIMIT if limit is None else min(limit, RERANK_LIMIT)
            else:
                rows = final_default if limit is None else limit
            if stage.kind == "retrieve":
                retriever = self.retrieve(stage, rows)
            elif stage.kind == "fuse":
                retriever, window = self.fork(stage)
                rows = min(rows, window)
            else:
                assert stage.rerank is not None and retriever is not None
                retriever = self.reranker(stage.rerank, retriever, out, i + 1 == len(stages))
                rows = min(rows, out)
            out = rows
        assert retriever is not None
        return retriever, out


def _fuse_text(cmd: FuseCmd, text: str) -> str:
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: cmd.pos.line - 1]) + cmd.pos.column - 1
    end = text.find("|", start)
    return text[start : end if end >= 0 else len(text)].strip()


def _fields_in(expr: Any) -> list[tuple[str, Pos]]:
    out: list[tuple[str, Pos]] = []
    if isinstance(expr, Field):
        out.append((expr.name, expr.pos))
        return out
    for name in ("children", "args", "items"):
        for child in getattr(expr, name, ()) or ():
            out.extend(_fields_in(child))
    for name in ("child", "left", "right", "value", "field"):
        child = getattr(expr, name, None)
        if child is not None and not isinstance(child, (str, int, float, bool, list)):
            out.extend(_fields_in(child))
    return out


def _retriever(plan: WherePlan, sort: tuple[SortField, ...], k: int) -> Retriever:
    """The ``standard`` (or ``knn``) retriever of one retrieval stage with window ``k``."""
    if len(plan.knn) == 1 and plan.query is None and sort == () and plan.knn[0].options.get("boost", 1.0) == 1.0:
        search = plan.knn[0].search(k)
        return KnnRetriever(search=search, filter=plan.filters)
    knn = tuple(spec.search(k, plan.filters) for spec in plan.knn)
    filters = plan.filters
    if not plan.scoring and not filters:
        filters = (MatchAllQuery(),)  # every row, score 0 (ES|QL scores only full-text functions)
    return StandardRetriever(query=plan.query, knn=knn, filter=filters, sort=sort)


def translate(syntax: EsqlSyntax, fields: FieldsResolver | None = None) -> EsqlQuery:
    """An ES|QL syntax tree → :class:`EsqlQuery` (checked against the index when ``fields`` is given)."""
    t = _Translator(syntax, None)
    index = t.source()
    if fields is not None:
        resolved = fields(index)
        if resolved is None:
            raise verification_error([(syntax.source.indices[0][1], f"Unknown index [{index}]")])
        t.fields = resolved
    t.problems.raise_if_any()
    stages = t.stages(syntax.commands, in_branch=False)
    retriever, size = t.chain(stages, DEFAULT_LIMIT)
    t.problems.raise_if_any()
    rerank_column = None
    last = stages[-1]
    if (
        last.kind == "rerank"
        and last.rerank is not None
        and last.rerank.column is not None
        and last.rerank.column[0] != SCORE
    ):
        rerank_column = last.rerank.column[0]
    request = SearchRequest(index=index, retriever=retriever, size=size)
    keep = tuple(tuple(p for p, _ in patterns) for patterns in t.keep)
    query = EsqlQuery(request=request, metadata=t.metadata, keep=keep, rerank_column=rerank_column)
    if t.fields is not None and t.keep:
        names = [n for n, _ in all_columns(t.fields, query)]
        for patterns in t.keep:
            names = keep_columns(names, patterns, t.problems)
        t.problems.raise_if_any()
    return query


def parse_esql(text: str, *, params: Sequence[Any] | None = None, fields: FieldsResolver | None = None) -> EsqlQuery:
    """ES|QL text → :class:`EsqlQuery`; every failure is an Elasticsearch-shaped error."""
    return translate(parse_syntax(text, params), fields)


__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_METADATA",
    "FORK_BRANCH_LIMIT",
    "MAX_LIMIT",
    "RERANK_LIMIT",
    "parse_esql",
    "translate",
]
