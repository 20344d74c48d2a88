"""The same ``model_text`` for the same inference endpoint is embedded once per search (physical stage).

kNN searches that build their query vector (``query_vector_builder``, ``semantic`` queries) name an
endpoint and a text. When two or more of them name the same pair, the plan's searches embed through
a per-search :class:`~retrievo.planner.query_vectors.SharedQueryVectors`: the first search computes
the vector, the others reuse it. A plan without repeats is left alone (no wrapper at all).
"""

from __future__ import annotations

from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv

NAME = "share_query_vectors"
STAGE = "physical"


def embedded_texts(plan: PhysicalPlan) -> dict[tuple[str, str], int]:
    """(endpoint, text) → how many kNN searches of the plan embed it."""
    counts: dict[tuple[str, str], int] = {}
    for op in plan.ops:
        pair = op.embeds()
        if pair is not None:
            counts[pair] = counts.get(pair, 0) + 1
    return counts


def apply(plan: PhysicalPlan, env: RuleEnv) -> PhysicalPlan:
    repeated = {k: n for k, n in embedded_texts(plan).items() if n > 1}
    if not repeated:
        return plan
    saved = sum(n - 1 for n in repeated.values())
    return plan.noted(
        NAME, f"{len(repeated)} query text(s) embedded once, {saved} model call(s) saved", share_vectors=True
    )
