"""The projects sweep's bookkeeping (training/sweep.py): finished steps are not run again, and
the plot reads the finished points. Its steps themselves are `punie-lsp data`, `train` and
`eval`, which tests/test_training.py and tests/test_evaluate.py run for real."""

import argparse
import json
import subprocess
from pathlib import Path

import pytest

from punie_lsp.training import sweep


def args(out: Path, **changes) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sweep.add_arguments(parser)
    parsed = parser.parse_args([str(out)])
    for key, value in changes.items():
        setattr(parsed, key, value)
    return parsed


def scores(passed: dict[str, tuple[int, int]]) -> list[dict]:
    return [
        {"split": suite, "passed": i < good}
        for suite, (good, total) in passed.items()
        for i in range(total)
    ]


def test_a_point_goes_on_where_it_stopped(tmp_path: Path, monkeypatch) -> None:
    ran: list[list[str]] = []

    def fake_run(command: list[str], check: bool) -> None:
        ran.append(command[3:])
        step = command[3]
        folder = sweep.point(tmp_path, 25)
        done = {"train": folder / "adapter" / "recipe.json", "eval": folder / "scores.json"}
        done[step].parent.mkdir(parents=True, exist_ok=True)
        done[step].write_text(json.dumps(scores({"generated": (1, 2)})))

    (tmp_path / "p25" / "data").mkdir(parents=True)
    (tmp_path / "p25" / "data" / "manifest.json").write_text("{}")  # the data is done
    monkeypatch.setattr(subprocess, "run", fake_run)
    sweep.run_point(tmp_path, 25, args(tmp_path))
    assert [c[0] for c in ran] == ["train", "eval"]
    assert "--projects" not in ran[0] and ran[0][ran[0].index("--iters") + 1] == "2000"
    sweep.run_point(tmp_path, 25, args(tmp_path))
    assert len(ran) == 2  # nothing left to run


def test_a_step_that_writes_nothing_stops_the_sweep(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(subprocess, "run", lambda command, check: None)
    with pytest.raises(SystemExit, match=r"manifest\.json was not written"):
        sweep.run_point(tmp_path, 50, args(tmp_path))


def test_the_plot_shows_the_finished_points(tmp_path: Path) -> None:
    for n, good in ((25, 150), (200, 170)):
        folder = sweep.point(tmp_path, n)
        folder.mkdir()
        marks = scores({"generated": (good, 176), "vendored": (14, 15), "heldout": (19, 20)})
        (folder / "scores.json").write_text(json.dumps(marks))
    points = sweep.finished(tmp_path, [25, 50, 100, 200])
    assert sorted(points) == [25, 200]
    assert points[200]["generated"] == pytest.approx(170 / 176)
    out = tmp_path / "sweep.png"
    assert sweep.run(args(tmp_path, plot=out, plot_only=True)) == 0
    assert out.stat().st_size > 10_000
