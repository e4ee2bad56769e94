import json
import os

import pytest

from training import data


def _write(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def test_llara_rows_drop_short_histories_and_map_ids_to_rows(tmp_path):
    _write(tmp_path / "id2name.txt", [f"{i}::Artist {i}" for i in range(30)])
    pad = 30
    rows = [{"seq": [0, 1, pad, pad], "len_seq": 2, "next": 2},
            {"seq": [0, 1, 2, pad], "len_seq": 3, "next": 3},
            {"seq": [4, 5, 6, 7], "len_seq": 4, "next": 29}]
    for split in ("train", "val"):
        _write(tmp_path / f"{split}.jsonl", [json.dumps(r) for r in rows])
    ds = data.load_llara_dir(str(tmp_path), "t", "artist")
    assert ds.num_items == 30 and ds.titles[1] == "Artist 0"
    assert [(r.history, r.target) for r in ds.val] == [([1, 2, 3], 4), ([5, 6, 7, 8], 30)]
    assert all(len(r.candidates) == 20 and r.target in r.candidates for r in ds.val)
    assert ds.test == []


def test_a_broken_row_is_named_by_file_and_line(tmp_path):
    _write(tmp_path / "id2name.txt", [f"{i}::A{i}" for i in range(30)])
    _write(tmp_path / "train.jsonl", ['{"seq": [1, 2, 3], "len_seq": 3, "next": 4}', '{"seq": [1, 2'])
    _write(tmp_path / "val.jsonl", [])
    with pytest.raises(data.DataError, match=r"train.jsonl:2"):
        data.load_llara_dir(str(tmp_path), "t", "artist")


def test_movielens_titles_follow_llara():
    assert data.movielens_title("Usual Suspects, The (1995)") == "The Usual Suspects"
    assert data.movielens_title("Toy Story (1995)") == "Toy Story"
    assert data.movielens_title("unknown") == "unknown"


def test_convert_app_interactions(tmp_path):
    _write(tmp_path / "items.jsonl", [json.dumps({"id": f"x{i}", "title": f"Book {i}"}) for i in range(40)])
    lines = []
    for u in range(40):
        for k in range(6):
            lines.append(json.dumps({"user": u, "item": f"x{(u + k) % 40}", "at": f"2026-01-01T00:00:{k:02d}Z",
                                     "kind": "click"}))
        lines.append(json.dumps({"user": u, "item": "x0", "at": 99, "kind": "not_interested"}))
        lines.append(json.dumps({"user": u, "item": "x1", "at": 98, "kind": "rating", "value": 2}))
    _write(tmp_path / "inter.jsonl", lines)
    stats = data.convert(str(tmp_path / "inter.jsonl"), str(tmp_path / "items.jsonl"), str(tmp_path / "out"))
    assert stats["users"] == 40 and stats["items"] == 40 and stats["val"] == 2 and stats["test"] == 2
    ds = data.load(str(tmp_path / "out"))
    assert ds.ext_ids[1] == "x0" and ds.titles[1] == "Book 0"
    # Held-out users' target is their last positive item, in time order.
    for r in ds.val + ds.test:
        assert len(r.history) == 5 and r.target not in r.history


def test_convert_reports_every_bad_line_and_writes_nothing(tmp_path):
    _write(tmp_path / "items.jsonl", [json.dumps({"id": "a", "title": "A"})])
    _write(tmp_path / "inter.jsonl", ['{"user": 1, "item": "a", "at": 5, "kind": "click"}',
                                      '{"user": 1, "item": "a", "kind": "click"}',
                                      'not json',
                                      '{"user": 1, "item": "a", "at": "yesterday", "kind": "click"}'])
    with pytest.raises(data.DataError) as e:
        data.convert(str(tmp_path / "inter.jsonl"), str(tmp_path / "items.jsonl"), str(tmp_path / "out"))
    msg = str(e.value)
    assert "3 bad line(s)" in msg and "inter.jsonl:2: missing 'at'" in msg and "inter.jsonl:3" in msg
    assert "inter.jsonl:4" in msg and not os.path.exists(tmp_path / "out")


def test_unknown_dataset_and_missing_folder_are_clear_errors(tmp_path):
    with pytest.raises(data.DataError, match="unknown dataset"):
        data.load("nope")
    with pytest.raises(data.DataError, match="folder not found"):
        data.load("movielens", str(tmp_path / "missing"))


@pytest.mark.skipif(not os.path.isdir(os.path.join(data.shared_data, "movielens")), reason="shared data absent")
def test_movielens_split_matches_llara():
    ds = data.load("movielens")
    assert (len(ds.val), len(ds.test), ds.num_items) == (94, 95, 1682)
    assert ds.titles[1] == "Toy Story"
