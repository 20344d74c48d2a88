"""Every teaching notebook in ``notebooks/`` runs top to bottom, offline, on a fresh kernel.

The notebooks are documentation that executes: if an API they teach changes, this test fails with the
cell that broke. They are stored without outputs (a re-run must not show up as a diff), so the test
also checks that. The kernel is started from this interpreter (the project's venv, with the library
installed and nothing else on the path), in ``notebooks/`` as working directory, with matplotlib on the
non-interactive Agg backend and the Hugging Face libraries told not to reach the network.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
# A guard against a hung kernel, not a performance assertion: a cell embedding a corpus on a busy
# two-core machine can take a while.
CELL_TIMEOUT_S = 600
KERNEL_ENV = {
    "MPLBACKEND": "Agg",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
_PROBE_TAG = "retrievo-notebook-test-probe"
# Runs in the kernel before the notebook's own cells and reports where and how the kernel runs.
_PROBE = """\
import json as _json, os as _os, sys as _sys
import matplotlib as _mpl
print(_json.dumps({"executable": _sys.executable, "prefix": _sys.prefix, "cwd": _os.getcwd(),
                   "mplbackend_env": _os.environ.get("MPLBACKEND"), "backend": _mpl.get_backend()}))
del _json, _os, _sys, _mpl
"""
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} are stored with outputs or execution counts; clear them "
        f"(e.g. `jupyter nbconvert --clear-output --inplace {path.name}`)"
    )


def _failed_cell_report(nb: dict, path: Path) -> str:
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                trace = _ANSI.sub("", "\n".join(out.get("traceback", [])))
                return (
                    f"{path.name}: cell {index} failed\n"
                    f"---- cell source ----\n{cell.source}\n"
                    f"---- error ----\n{out.get('ename')}: {out.get('evalue')}\n{trace}"
                )
    return f"{path.name}: execution failed outside a cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_top_to_bottom(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    for key, value in KERNEL_ENV.items():  # the kernel inherits this process's environment
        monkeypatch.setenv(key, value)
    nb = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell(_PROBE, metadata={"tags": [_PROBE_TAG]})
    nb.cells.insert(0, probe)
    # kernel_name "python3" with argv "python": jupyter_client launches it with sys.executable, i.e.
    # the interpreter running this test (checked below through the probe).
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        report = _failed_cell_report(nb, path)
        if isinstance(exc, CellTimeoutError):
            report += f"\n(timed out after {CELL_TIMEOUT_S}s)\n{exc}"
        pytest.fail(report, pytrace=False)

    probe_out = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream")
    seen = json.loads(probe_out.strip().splitlines()[-1])
    assert os.path.realpath(seen["prefix"]) == os.path.realpath(sys.prefix), seen
    assert os.path.realpath(seen["executable"]) == os.path.realpath(sys.executable), seen
    assert os.path.realpath(seen["cwd"]) == os.path.realpath(NOTEBOOK_DIR), seen
    assert seen["mplbackend_env"] == "Agg" and seen["backend"].lower() == "agg", seen
