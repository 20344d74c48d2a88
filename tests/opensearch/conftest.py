"""OpenSearch surface tests: they start ``retrievo serve`` with the server tests' helper and build tiny
models with the inference tests' helper (the tests folders are not packages: put them on the path)."""

from __future__ import annotations

import sys
from pathlib import Path

for _folder in ("server", "inference", "seeds"):
    _path = str(Path(__file__).resolve().parents[1] / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)
