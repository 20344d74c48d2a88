"""Writes docs.jsonl: completion inputs for the oracle and the test (CISI titles and authors, weights
from the document number) plus a few hand-made documents with shared prefixes, repeats and stop-word
free multi-word inputs."""

import json
import sys
from pathlib import Path

corpus = Path(sys.argv[1])
out = Path(sys.argv[2])
docs = []
for i, line in enumerate(corpus.read_text().splitlines()[:400]):
    d = json.loads(line)
    inputs = [d["title"]] if d.get("title") else []
    if d.get("author"):
        inputs.append(d["author"])
    if inputs:
        docs.append({"_id": d["_id"], "suggest": [{"input": inputs, "weight": (i * 7919) % 97}]})
extra = [
    ("m1", [{"input": ["Nevermind", "Nirvana"], "weight": 34}]),
    ("m2", [{"input": ["Nirvana in Utero"], "weight": 20}, {"input": ["Nirvana"], "weight": 10}]),
    ("m3", [{"input": ["nirvana"], "weight": 34}]),
    ("m4", [{"input": ["Nirwana"], "weight": 5}]),
    ("m5", [{"input": ["New York", "Newark"], "weight": 7}]),
    ("m6", [{"input": ["New-York"], "weight": 7}]),
]
for _id, suggest in extra:
    docs.append({"_id": _id, "suggest": suggest})
out.write_text("".join(json.dumps(d) + "\n" for d in docs))
