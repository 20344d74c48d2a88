"""Run in a fresh interpreter by the persistence tests: load a saved engine, answer the shared
searches (corpus.py), print them as JSON. ``--write`` instead opens the directory as the engine's
home, indexes and deletes documents with refresh, and exits (the parent checks they persisted)."""

from __future__ import annotations

import json
import sys

from persistence_corpus import article, run_searches
from retrievo import Engine


def main() -> None:
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "--write":
        import numpy as np

        engine = Engine(path=path)
        rng = np.random.default_rng(99)
        engine.index(index="articles", id="new-1", document=article(5000, rng), refresh=True)
        engine.delete(index="articles", id="1", refresh=True)
        engine.index(index="fresh", id="f", document={"title": "made in a child process"}, refresh="true")
        print(json.dumps({"ok": True}))
        return
    engine = Engine.load(path) if mode == "--load" else Engine(path=path)
    found = run_searches(engine, models="--models" in sys.argv)
    print(json.dumps(found, default=lambda response: response.body))  # the client's responses


if __name__ == "__main__":
    main()
