"""Which data directory a command uses, and opening an engine on it.

Commands that write (``index``, ``eval`` without ``--no-persist``) open the directory to persist
into it (``Engine(path=...)``, creating it when missing). Commands that only read load what it
holds (``Engine.load``), so a search never creates, locks or rewrites anything on disk.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrievo.client import Engine

DATA_ENV = "RETRIEVO_DATA"
DEFAULT_DATA = "./retrievo-data"


def default_data_dir() -> str:
    """``$RETRIEVO_DATA``, else ``./retrievo-data``."""
    return os.environ.get(DATA_ENV) or DEFAULT_DATA


def open_for_writing(path: str) -> Engine:
    from retrievo.client import Engine

    return Engine(path=path)


def open_for_reading(path: str) -> Engine:
    from retrievo.client import Engine

    return Engine.load(path)
