"""A writer for the kill -9 tests: random writes to ``Engine(path=DIR)``, one line per acknowledged write.

``python translog_writer.py DIR SEED`` opens the engine, prints ``ready``, then loops: before each
request it prints ``intent <ids>`` (the ids the request may change), and after the call returns one
``ack`` line per acknowledged write — ``{"id", "version", "source"}`` (``source`` null: deleted).
Every line is flushed as it is printed, so a line the parent reads is a write that was acknowledged.
Refreshes (which commit the index and roll its translog) and flushes happen at random too, so a kill
lands in every phase: appending, syncing, committing, trimming.
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

from retrievo import Engine

IDS = [f"d{i}" for i in range(40)]


def say(*parts: str) -> None:
    sys.stdout.write(" ".join(parts) + "\n")
    sys.stdout.flush()


def ack(doc_id: str, version: int, source: dict[str, Any] | None) -> None:
    say("ack", json.dumps({"id": doc_id, "version": version, "source": source}))


def main(path: str, seed: int) -> None:
    rng = random.Random(seed)
    engine = Engine(path=path)
    client = engine.options(ignore_status=404)
    say("ready")
    step = 0
    while True:
        step += 1
        kind = rng.choice(("index", "index", "update", "delete", "bulk", "bulk"))
        refresh = rng.random() < 0.15
        if kind == "bulk":
            ops: list[dict[str, object]] = []
            chosen = [rng.choice(IDS) for _ in range(rng.randint(2, 12))]
            say("intent", *chosen)
            for doc_id in chosen:
                if rng.random() < 0.2:
                    ops.append({"delete": {"_index": "w", "_id": doc_id}})
                else:
                    ops += [{"index": {"_index": "w", "_id": doc_id}}, {"n": rng.randint(0, 10**6), "s": seed}]
            result = engine.bulk(operations=ops, refresh=refresh)
            sources = iter(op for op in ops if "n" in op)
            for item, doc_id in zip(result["items"], chosen):
                action, body = next(iter(item.items()))
                if action == "index":
                    ack(doc_id, body["_version"], next(sources))
                elif body["result"] == "deleted":
                    ack(doc_id, body["_version"], None)
            continue
        doc_id = rng.choice(IDS)
        say("intent", doc_id)
        if kind == "index":
            source = {"n": rng.randint(0, 10**6), "s": seed, "step": step}
            ack(doc_id, engine.index(index="w", id=doc_id, document=source, refresh=refresh)["_version"], source)
        elif kind == "update":
            patch = {"u": rng.randint(0, 10**6)}
            body = client.update(index="w", id=doc_id, doc=patch, refresh=refresh, source=True)
            if body.get("result") == "updated":
                ack(doc_id, body["_version"], body["get"]["_source"])
        else:
            body = client.delete(index="w", id=doc_id, refresh=refresh)
            if body.get("result") == "deleted":
                ack(doc_id, body["_version"], None)
        if rng.random() < 0.03:
            engine.indices.flush(index="w")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
