"""A temporary Hugging Face cache holding a locally built model under a hub id.

Hub ids cannot be downloaded here, and the seeds name hub ids. So a test builds a small model, and this
module lays it out exactly as ``huggingface_hub`` lays out a downloaded repository
(``<HF_HOME>/hub/models--<org>--<name>/refs/main`` naming a snapshot, the files under
``snapshots/<commit>/``): the code under test then resolves the id through the real hub-cache path.
Never a different model substituted at run time: the model placed is the one the test scores against.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path


def place_in_hub_cache(hf_home: Path, repo_id: str, model_dir: Path) -> Path:
    """Copy ``model_dir``'s files into ``hf_home``'s hub cache as repository ``repo_id``; the snapshot
    folder. Set ``HF_HOME=hf_home`` (and ``HF_HUB_OFFLINE=1``) for the process that loads it."""
    repo = hf_home / "hub" / ("models--" + repo_id.replace("/", "--"))
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    for item in model_dir.iterdir():
        target = snapshot / item.name
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def hub_env(hf_home: Path) -> dict[str, str]:
    """The environment a server process needs to find models in ``hf_home`` without the network."""
    return {"HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
