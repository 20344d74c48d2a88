"""How a plan shows itself: ``Plan.explain()`` text, ``Plan.to_dict()`` and ``_repr_html_``.

All three are built from one description (:func:`plan_dict`): the logical plan (the retriever tree
after the logical rules), the physical plan (the operator tree after the physical rules), and per
node the cost estimates of :mod:`retrievo.planner.costs`. A sub-tree shared by several parents is
described in full where it first appears and referred to by its ``#n`` afterwards.
"""

from __future__ import annotations

import html
import json
from typing import Any

from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.operator_tree import walk
from retrievo.planner.operators.base import Operator
from retrievo.planner.rules import PLAN_RULE_NAMES, QUERY_RULE_NAMES
from retrievo.planner.rules.share_query_vectors import embedded_texts
from retrievo.planner.rules.share_subtrees import signature
from retrievo.retrievers import Retriever

MAX_VALUE_CHARS = 100


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


# ---------------------------------------------------------------------------------------- estimates


def _estimate_json(e: Estimate | None) -> dict[str, Any] | None:
    return None if e is None else e.as_dict()


def _estimate_text(e: dict[str, Any] | None) -> str:
    if not e:
        return ""
    parts = [f"in={e['docs_in']:,}", f"out{'=' if e['docs_out_is'] == 'exact' else '≤'}{e['docs_out']:,}"]
    if "vectors_compared" in e:
        parts.append(f"vectors={e['vectors_compared']:,}")
    if e.get("postings"):
        parts.append(f"postings={e['postings']:,}")
    if e.get("model_calls"):
        parts.append(f"model_calls={e['model_calls']}")
    if e.get("pairs"):
        parts.append(f"pairs={e['pairs']:,}")
    if e.get("tokens"):
        parts.append(f"tokens≈{e['tokens']:,}")
    return "est: " + ", ".join(parts)


# ---------------------------------------------------------------------------------------- logical


def _retriever_params(r: Retriever) -> dict[str, Any]:
    return {k: _short(v) if isinstance(v, (dict, list)) else v for k, v in r.describe().items()}


def _logical_name(r: Retriever) -> str:
    """``text_similarity_reranker`` → ``TextSimilarityReranker``."""
    return "".join(part.capitalize() for part in r.kind.split("_"))


class _Describer:
    """Builds the node dictionaries of one plan, with estimates, once."""

    def __init__(self, plan: Any) -> None:
        self.plan = plan
        phys = plan.physical
        self.costs = CostModel(
            plan.searcher, phys.searches if phys else {}, plan.inference, phys.share_vectors if phys else False
        )
        self.bitset_ids = {id(f): i + 1 for i, f in enumerate(phys.bitsets)} if phys else {}
        self.shared_ids: dict[int, int] = {}
        self.by_source: dict[int, Operator] = {}
        self.by_signature: dict[Any, Operator] = {}
        for op in walk(plan.root):
            if op.origin is not None:
                for node in (op.origin.retriever, op.origin.written_as):
                    if node is not None:
                        self.by_source.setdefault(id(node), op)
        self.repeated = {k for k, n in embedded_texts(phys).items() if n > 1} if phys and phys.share_vectors else set()

    def _op_for(self, r: Retriever) -> Operator | None:
        op = self.by_source.get(id(r))
        if op is not None:
            return op
        if not self.by_signature:
            for o in walk(self.plan.root):
                sig = signature(o)
                if sig is not None:
                    self.by_signature.setdefault(sig[:2], o)
        for o_sig, o in self.by_signature.items():
            if o_sig[0] == r.canonical():
                return o
        return None

    # -------------------------------------------------------------- logical
    def logical(self) -> dict[str, Any]:
        req = self.plan.request
        params: dict[str, Any] = {"index": req.index, "from": req.from_, "size": req.size}
        if req.min_score is not None:
            params["min_score"] = req.min_score
        retriever = self.plan.logical if self.plan.logical is not None else req.retriever
        return {
            "node": "Search",
            "params": params,
            "estimate": _estimate_json(self.costs.of(self.plan.root)),
            "children": [self._logical(retriever, None)],
        }

    def _logical(self, r: Retriever, given: dict[str, Any] | None) -> dict[str, Any]:
        """``given``: what the parent shows on this child's line (a compound's weight and normalizer)."""
        params = {**(given or {}), **_retriever_params(r)}
        op = self._op_for(r)
        node: dict[str, Any] = {
            "node": _logical_name(r),
            "params": params,
            "estimate": _estimate_json(self.costs.of(op)) if op is not None else None,
            "children": [],
        }
        if op is None:
            node["tags"] = ["no operator of its own after the plan rules"]
        node["children"] = [self._logical(c, p) for c, p in zip(r.children(), r.child_params())]
        return node

    # -------------------------------------------------------------- physical
    def physical(self, op: Operator | None = None) -> dict[str, Any]:
        op = self.plan.root if op is None else op
        if op.shared:
            if id(op) in self.shared_ids:
                return {"operator": op.name, "shared": f"#{self.shared_ids[id(op)]}", "children": []}
            self.shared_ids[id(op)] = len(self.shared_ids) + 1
        params = {k: str(v) for k, v in op.describe().items()}
        node: dict[str, Any] = {
            "operator": op.name,
            "params": params,
            "tags": self._tags(op),
            "estimate": _estimate_json(self.costs.of(op)),
        }
        if id(op) in self.shared_ids:
            node["shared"] = f"#{self.shared_ids[id(op)]}"
        node["children"] = [self.physical(c) for c in op.children()]
        return node

    def _tags(self, op: Operator) -> list[str]:
        tags: list[str] = []
        ids = [self.bitset_ids[id(f)] for f in op.filter_queries() if id(f) in self.bitset_ids]
        if ids:
            tags.append("bitsets " + ",".join(f"#{i}" for i in ids))
        if op.embeds() in self.repeated:
            tags.append("query vector shared")
        if op.fanout is not None:
            tags.append(op.fanout.describe())
        if op.limit is not None:
            tags.append(f"emits {op.limit}")
        for kind, label in op.origin.flattened_from if op.origin is not None else ():
            tags.append(f"lifted out of {kind}[{label}]")
        return tags

    def bitsets(self) -> list[dict[str, Any]]:
        phys = self.plan.physical
        if phys is None:
            return []
        return [
            {"id": f"#{self.bitset_ids[id(f)]}", "filter": str(f), "docs": self.costs.query(f).matches}
            for f in phys.bitsets
        ]

    def totals(self) -> dict[str, Any]:
        ests = [self.costs.of(op) for op in walk(self.plan.root)]
        return {
            "model_calls": sum(e.model_calls for e in ests),
            "pairs": sum(e.pairs for e in ests),
            "tokens": sum(e.tokens for e in ests),
        }


def plan_dict(plan: Any) -> dict[str, Any]:
    """The plan as plain data: rules, logical tree, physical tree, bitsets, estimates."""
    d = _Describer(plan)
    active = set(plan.active_rules)
    out: dict[str, Any] = {
        "index": plan.request.index,
        "rules": {
            "query": [r for r in QUERY_RULE_NAMES if r in active],
            "plan": [r for r in PLAN_RULE_NAMES if r in active],
        },
        "disabled_rules": list(plan.disabled_rules),
        "logical": d.logical(),
        "physical": d.physical(),
        "bitsets": d.bitsets(),
        "applied": dict(plan.physical.notes) if plan.physical is not None else {},
        "estimated_totals": d.totals(),
    }
    return out


# ---------------------------------------------------------------------------------------- text


def _tree_lines(
    node: dict[str, Any], name_key: str, prefix: str = "", last: bool = True, root: bool = True
) -> list[str]:
    branch = "" if root else ("└─ " if last else "├─ ")
    label = node[name_key]
    if node.get("params"):
        label += "(" + ", ".join(f"{k}={v}" for k, v in node["params"].items()) + ")"
    if node.get("shared"):
        label += f" [shared {node['shared']}]" if "params" in node else f" → shared {node['shared']}, runs once"
    if node.get("tags"):
        label += " [" + "; ".join(node["tags"]) + "]"
    est = _estimate_text(node.get("estimate"))
    lines = [prefix + branch + label + (f"   {est}" if est else "")]
    kids = node.get("children", [])
    child_prefix = prefix + ("" if root else ("   " if last else "│  "))
    for i, c in enumerate(kids):
        lines.extend(_tree_lines(c, name_key, child_prefix, i == len(kids) - 1, False))
    return lines


def plan_text(plan: Any) -> str:
    d = plan_dict(plan)
    lines = [
        f"Plan(index={d['index']})",
        "query rules: " + (", ".join(d["rules"]["query"]) or "none"),
        "plan rules: " + (", ".join(d["rules"]["plan"]) or "none"),
    ]
    if d["disabled_rules"]:
        lines.append("disabled: " + ", ".join(d["disabled_rules"]))
    lines += ["", "LOGICAL PLAN"] + _tree_lines(d["logical"], "node")
    lines += ["", "PHYSICAL PLAN"] + _tree_lines(d["physical"], "operator")
    if d["bitsets"]:
        lines += ["", "BITSETS (each evaluated once per search)"]
        lines += [f"{b['id']} {b['filter']}   est: docs≤{b['docs']:,}" for b in d["bitsets"]]
    if d["applied"]:
        lines += ["", "APPLIED"] + [f"{rule}: {note}" for rule, note in d["applied"].items()]
    t = d["estimated_totals"]
    lines += ["", f"ESTIMATED TOTALS: model_calls={t['model_calls']}, pairs={t['pairs']:,}, tokens≈{t['tokens']:,}"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- html

_CSS = "font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;line-height:1.45"


def _html_node(node: dict[str, Any], name_key: str) -> str:
    params = node.get("params") or {}
    head = f"<b>{html.escape(node[name_key])}</b>"
    if params:
        head += "(" + ", ".join(f"{html.escape(str(k))}={html.escape(str(v))}" for k, v in params.items()) + ")"
    if node.get("shared"):
        head += f" <i>[shared {html.escape(node['shared'])}]</i>"
    for tag in node.get("tags") or []:
        head += f" <span style='color:#6a4'>[{html.escape(tag)}]</span>"
    est = _estimate_text(node.get("estimate"))
    if est:
        head += f" <span style='color:#888'>{html.escape(est)}</span>"
    kids = node.get("children") or []
    if not kids:
        return f"<li>{head}</li>"
    inner = "".join(_html_node(c, name_key) for c in kids)
    return f"<li><details open><summary>{head}</summary><ul>{inner}</ul></details></li>"


def plan_html(plan: Any) -> str:
    d = plan_dict(plan)
    off = ", ".join(d["disabled_rules"]) or "none"
    parts = [
        f"<div style='{_CSS}'>",
        f"<div><b>Plan</b>(index={html.escape(d['index'])}) — rules off: {html.escape(off)}</div>",
        "<div><b>Logical plan</b></div><ul>" + _html_node(d["logical"], "node") + "</ul>",
        "<div><b>Physical plan</b></div><ul>" + _html_node(d["physical"], "operator") + "</ul>",
    ]
    if d["bitsets"]:
        items = "".join(f"<li>{html.escape(b['id'])} {html.escape(b['filter'])}</li>" for b in d["bitsets"])
        parts.append(f"<div><b>Bitsets</b></div><ul>{items}</ul>")
    if d["applied"]:
        items = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in d["applied"].items())
        parts.append(f"<div><b>Applied</b></div><ul>{items}</ul>")
    t = d["estimated_totals"]
    parts.append(
        f"<div>estimated totals: model_calls={t['model_calls']}, pairs={t['pairs']}, tokens≈{t['tokens']}</div></div>"
    )
    return "".join(parts)
