"""Research toolkit: algorithm comparison, experiment grids (threads, processes, Dask), resume."""

from __future__ import annotations

import concurrent.futures as cf
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import civicsortition as cs
from civicsortition.algorithms import ALGORITHMS
from civicsortition.research.experiments import (
    Task,
    compare_algorithms,
    grid,
    read_results,
    run_grid,
)
from civicsortition.research.synthetic import preset, synthetic_instance

SMALL = {"n": 60, "k": 8, "categories": 3}


def test_compare_algorithms_table() -> None:
    inst = preset("mass")
    comp = compare_algorithms(inst.pool, inst.quotas, options={"legacy": {"draws": 300,
                                                                          "rng": 1}})
    rows = {r["algorithm"]: r for r in comp.rows}
    assert list(rows) == [a for a, spec in ALGORITHMS.items() if not spec.small_pools_only]
    lex = rows["leximin"]
    assert lex["share_below_leximin_minimum"] == 0.0
    assert rows["maximin"]["minimum"] == pytest.approx(lex["minimum"], abs=1e-6)
    assert rows["nash"]["minimum"] <= lex["minimum"] + 1e-9
    for r in rows.values():
        assert set(r) >= {"minimum", "gini", "geometric_mean", "share_below_leximin_minimum",
                          "support", "seconds", "gap", "converged"}
        pi = comp.marginals[r["algorithm"]]
        assert r["share_below_leximin_minimum"] == pytest.approx(
            float(np.mean(pi < lex["minimum"] - 1e-9)))
    assert "| leximin |" in comp.to_markdown()


def test_compare_plot() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    inst = synthetic_instance(**SMALL, seed=1)  # type: ignore[arg-type]
    comp = compare_algorithms(inst.pool, inst.quotas, ["leximin", "nash"])
    ax = comp.plot()
    assert len(ax.get_lines()) == 3  # two lotteries and the k/n reference line
    import matplotlib.pyplot as plt

    plt.close("all")


def test_grid_builds_every_combination_and_keys_are_stable() -> None:
    tasks = grid(["mass", SMALL], ["leximin", "maximin"], seeds=[0, 1],
                 options=[{}, {"tol": 1e-6}])
    assert len(tasks) == 16
    assert len({t.key for t in tasks}) == 16
    assert Task("mass", "leximin").key == grid(["mass"], ["leximin"])[0].key
    with pytest.raises(cs.InputError, match="unknown-preset"):
        grid(["nope"], ["leximin"])


def _grid() -> list[Task]:
    return grid([SMALL], ["leximin", "maximin", "nash"], seeds=[0, 1],
                options=[{}])


def test_run_grid_streams_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    tasks = _grid()
    calls: list[int] = []
    with cf.ThreadPoolExecutor(2) as ex:
        rows = run_grid(tasks, out, executor=ex,
                        progress=lambda done, total, row: calls.append(done))
    assert [r["key"] for r in rows] == [t.key for t in tasks]
    assert len(read_results(out)) == len(tasks)
    assert calls == list(range(1, len(tasks) + 1))
    assert all("error" not in r for r in rows)
    by = {(r["algorithm"], r["seed"]): r for r in rows}
    assert by[("maximin", 0)]["minimum"] == pytest.approx(by[("leximin", 0)]["minimum"],
                                                          abs=1e-6)
    # Simulate a crash: drop two finished rows, tear the last line, add a failed row.
    lines = out.read_text().splitlines()
    failed = dict(json.loads(lines[0]), error="RuntimeError: boom")
    out.write_text("\n".join(lines[2:-1]) + "\n" + json.dumps(failed) + "\n"
                   + lines[-1][:20])
    again: list[dict[str, Any]] = []
    with cf.ThreadPoolExecutor(2) as ex:
        rows2 = run_grid(tasks, out, executor=ex,
                         progress=lambda done, total, row: again.append(dict(row)))
    rerun = {r["key"] for r in again}
    expected = {json.loads(lines[0])["key"], json.loads(lines[1])["key"],
                json.loads(lines[-1])["key"]}
    assert rerun == expected                       # only the missing tasks ran again
    assert [r["key"] for r in rows2] == [t.key for t in tasks]
    assert all("error" not in r for r in rows2)


def test_errors_are_recorded_not_raised(tmp_path: Path) -> None:
    bad = Task((("n", 10), ("k", 20)), "leximin")
    with cf.ThreadPoolExecutor(1) as ex:
        rows = run_grid([bad], tmp_path / "r.jsonl", executor=ex, progress=False)
    assert "InputError" in rows[0]["error"]


def test_run_grid_default_process_pool(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    tasks = grid([SMALL], ["leximin"], seeds=[0, 1])
    rows = run_grid(tasks, tmp_path / "r.jsonl", max_workers=2)
    assert len({r["pid"] for r in rows}) >= 1
    assert all(r["converged"] for r in rows)
    assert "2/2 tasks" in capsys.readouterr().err     # the progress bar


def test_run_grid_on_a_local_dask_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    tasks = _grid()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        rows = run_grid(tasks, tmp_path / "dask.jsonl", executor=client.get_executor(),
                        progress=False)
    with cf.ThreadPoolExecutor(2) as ex:
        local = run_grid(tasks, tmp_path / "local.jsonl", executor=ex, progress=False)
    assert [r["key"] for r in rows] == [t.key for t in tasks]
    for a, b in zip(rows, local, strict=True):
        assert a["instance_sha256"] == b["instance_sha256"]
        assert a["minimum"] == pytest.approx(b["minimum"], abs=1e-6)


def test_run_grid_on_ray(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install "
                                            "'civicsortition[ray]')")
    from civicsortition.research.experiments import RayExecutor

    tasks = grid([SMALL], ["leximin", "maximin"], seeds=[0])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        rows = run_grid(tasks, tmp_path / "ray.jsonl", executor=RayExecutor(), progress=False)
    finally:
        ray.shutdown()
    assert [r["key"] for r in rows] == [t.key for t in tasks]
    assert rows[0]["minimum"] == pytest.approx(rows[1]["minimum"], abs=1e-6)
