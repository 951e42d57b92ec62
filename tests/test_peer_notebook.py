"""notebooks/peer_lab.ipynb runs headless with small parameters (papermill)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "peer_lab.ipynb"


def test_peer_lab_notebook_runs_headless(tmp_path):
    pm = pytest.importorskip("papermill")
    if not (ROOT / "data" / "demo" / "peer_ratings.csv").exists():
        pytest.skip("data/demo/peer_ratings.csv absent (run `evalkit demo`)")
    out = tmp_path / "peer_lab.ipynb"
    nb = pm.execute_notebook(str(NB), str(out), cwd=str(NB.parent), progress_bar=False,
                             kernel_name="python3",
                             parameters={"n_list": [10], "reps": 20, "workers": 1,
                                         "scenarios": ["honest", "collude"], "lang": "en"})
    text = out.read_text(encoding="utf-8")
    assert "best_tau" in text  # the headline table was shown
    assert "Peer score" in text  # the report section rendered in English
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
