"""The seed systems' tests: each runs a system's own requests verbatim against a real ``retrievo serve``.

They use the server tests' helper (``tests/server/server_process.py``), the tiny models built on the
spot (``tests/inference/tiny_models.py``) and :mod:`hub_cache`, which places such a model in a temporary
Hugging Face cache under the hub id a seed names (the folders are not packages: put them on the path).
"""

from __future__ import annotations

import sys
from pathlib import Path

for _folder in ("server", "inference"):
    _path = str(Path(__file__).resolve().parents[1] / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)
