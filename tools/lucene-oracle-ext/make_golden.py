"""Joins the cases with the oracle's token streams into tests/analysis/goldens/components.json.
Usage: python3 make_golden.py cases.jsonl oracle_out.jsonl OUT.json"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    cases = [json.loads(line) for line in Path(sys.argv[1]).read_text(encoding="utf-8").split("\n") if line]
    outs = {
        o["id"]: o for o in map(json.loads, filter(None, Path(sys.argv[2]).read_text(encoding="utf-8").split("\n")))
    }
    chains: dict[str, dict[str, object]] = {}
    golden_cases = []
    for case in cases:
        chain = {k: case[k] for k in ("char_filter", "tokenizer", "filter") if k in case}
        chains.setdefault(case["chain"], chain)
        tokens = [
            [t["token"], t["position"], t["start_cp"], t["end_cp"], t["type"], t["position_length"]]
            for t in outs[case["id"]]["tokens"]
        ]
        golden_cases.append({"id": case["id"], "chain": case["chain"], "text": case["text"], "tokens": tokens})
    doc = {
        "lucene_version": "8.8.1",
        "token_fields": ["term", "position", "start_cp", "end_cp", "type", "position_length"],
        "chains": chains,
        "cases": golden_cases,
    }
    compact = {"ensure_ascii": True, "separators": (",", ":")}
    with open(sys.argv[3], "w", encoding="ascii") as f:  # one case per line keeps diffs readable
        head = {k: v for k, v in doc.items() if k != "cases"}
        f.write(json.dumps(head, **compact)[:-1] + ',"cases":[\n')  # type: ignore[arg-type]
        f.write(",\n".join(json.dumps(c, **compact) for c in golden_cases))  # type: ignore[arg-type]
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
