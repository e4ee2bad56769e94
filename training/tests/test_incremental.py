"""bench/incremental's period cutting (training/incremental.py) on a tiny synthetic interaction list: periods are
time-ordered and of equal size, a row sits in its target's period (never an earlier one), its history precedes
its target, and the rows are data.py's (previous <= 10 items, from position 3 on). Also data.folder_domain."""

import json
import os
import random

import pytest

from training import data, incremental


def _interactions(users=6, per_user=14, seed=0):
    """(user, item, timestamp, line) with clustered, tied and shuffled timestamps, as u.data has."""
    rng = random.Random(seed)
    out, ln = [], 0
    for u in range(1, users + 1):
        start = rng.randrange(0, 1000)
        for _ in range(per_user):
            ln += 1
            out.append((u, rng.randrange(1, 40), start + rng.randrange(0, 300) // 7 * 7, ln))
    rng.shuffle(out)
    return out


def test_periods_are_time_ordered_and_equal():
    inter = _interactions()
    for k in (2, 3, 5):
        period = incremental.cut_periods(inter, k)
        assert sorted(set(period)) == list(range(k))
        sizes = [period.count(p) for p in range(k)]
        assert max(sizes) - min(sizes) <= 1
        key = lambda j: (inter[j][2], inter[j][3])
        for p in range(k - 1):  # every interaction of period p comes before every one of p + 1
            assert max(key(j) for j in range(len(inter)) if period[j] == p) < \
                min(key(j) for j in range(len(inter)) if period[j] == p + 1)


def test_rows_sit_in_their_targets_period_and_history_precedes_target():
    inter = _interactions()
    k = 3
    period = incremental.cut_periods(inter, k)
    start_t = [min(t for (_, _, t, _), p in zip(inter, period) if p == q) for q in range(k)]
    end_t = [max(t for (_, _, t, _), p in zip(inter, period) if p == q) for q in range(k)]
    rows = incremental.period_rows(inter, k)
    n = 0
    for u, rs in rows.items():
        own = sorted((t, ln, i) for uu, i, t, ln in inter if uu == u)
        assert len(rs) == len(own) - 3  # positions 3.. of the user's sequence
        for pos, r in enumerate(rs, 3):
            n += 1
            assert r["target"] == own[pos][2] and r["t"] == own[pos][0]
            assert r["period"] == period[[j for j, x in enumerate(inter) if x[0] == u and x[3] == own[pos][1]][0]]
            assert r["history"] == [i for _, _, i in own[max(0, pos - 10):pos]]
            assert 3 <= len(r["history"]) <= 10
            # the target's timestamp lies inside its row's period (ties may sit on a boundary)
            assert start_t[r["period"]] <= r["t"] <= end_t[r["period"]]
            assert all(t <= r["t"] for t in r["history_t"])  # history never after its target
            assert r["history_t"] == sorted(r["history_t"])
        assert [r["period"] for r in rs] == sorted(r["period"] for r in rs)
    assert n == len(inter) - 3 * len(rows)


def test_users_split_is_fixed_and_disjoint():
    val, test = incremental.split_users(range(100))
    assert len(val) == 10 and len(test) == 10 and not val & test
    assert (val, test) == incremental.split_users(list(range(100))[::-1])


def test_llara_line_round_trips_through_load_rows(tmp_path):
    """The rows written for rank --rows / lsat --val-rows read back as the same (history, target)."""
    folder = tmp_path / "upto1"
    folder.mkdir()
    (folder / "id2name.txt").write_text("".join(f"{i}::Movie {i}\n" for i in range(40)))
    (folder / "domain.txt").write_text("movie\n")
    rows = [{"history": [3, 5, 7, 9], "target": 12}, {"history": list(range(1, 11)), "target": 11}]
    for split in ("train", "val"):
        incremental.write_rows(str(folder / f"{split}.jsonl"), rows, 40)
    ds = data.load(str(folder))
    assert ds.domain == "movie" and ds.num_items == 40
    back = data.load_rows(str(folder / "val.jsonl"), ds, "t")
    assert [(r.history, r.target) for r in back] == [(r["history"], r["target"]) for r in rows]
    assert all(r.target in r.candidates and len(r.candidates) == 20 for r in back)


def test_folder_domain(tmp_path):
    assert data.folder_domain(str(tmp_path)) == "book"  # what convert writes: the app's catalog
    (tmp_path / "domain.txt").write_text("artist\n")
    assert data.folder_domain(str(tmp_path)) == "artist"
    (tmp_path / "domain.txt").write_text("podcast\n")
    with pytest.raises(data.DataError):
        data.folder_domain(str(tmp_path))


def test_row_auc_counts_negatives_below_the_target_and_ties_half():
    from training.incremental import mean_auc, row_auc
    assert row_auc([0.1, 0.5, 0.3], 1) == 1.0
    assert row_auc([0.1, 0.5, 0.5], 1) == 0.75
    assert row_auc([0.9, 0.5, 0.7], 1) == 0.0
    assert mean_auc([[3, 1, 2], [1, 3, 2]], [0, 0]) == 0.5


def test_command_measures_the_childs_cpu_time():
    """The cost columns: a step's CPU time is its child's own (user + system), not the parent's."""
    import sys
    wall, cpu = incremental.command([sys.executable, "-c", "sum(range(3 * 10 ** 7))"], "burn")
    assert 0.1 < cpu <= 2 * wall + 0.1
    wall, cpu = incremental.command([sys.executable, "-c", "import time; time.sleep(0.5)"], "sleep")
    assert wall >= 0.5 and cpu < 0.3
