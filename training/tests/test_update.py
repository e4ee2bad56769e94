"""training/update.py: the app's incremental update, every stage on the tiny fixture, and its refusals."""

import json
import os
import sys

import pytest
import torch

from training import export, llara, lsat, rank, update
from training.tests import helpers
from training.tests.test_lsat import _fake_run, _fixture, _merged_delta


def _version(tmp_path, monkeypatch):
    """A rank run exported as a version folder (fp32 graph only), as `python -m training.export` writes it."""
    fx = _fixture(tmp_path)
    long = _fake_run(tmp_path, "long", "off", 1, 1, fx, [1.0, 0.5], 0.5)
    # A packed run names its base by folder name only; this machine keeps bases beside llara.base.
    monkeypatch.setattr(llara, "base", os.path.join(os.path.dirname(fx[1]), "anything"))
    folder = str(tmp_path / "v1")
    monkeypatch.setattr(sys, "argv", ["export", "--run", long, "--out", folder, "--no-int8", "--no-fused"])
    export.main()
    return folder, long


def _export(tmp_path, users=12, items_known=40, extra_unknown=3):
    """What the app's export stage writes: liked items per user in time order, a dislike, items unknown to the model."""
    d = tmp_path / "export"
    d.mkdir()
    with open(d / "items.jsonl", "w") as f:
        for i in range(1, items_known + 1 + extra_unknown):
            f.write(json.dumps({"id": f"b{i}", "title": f"Book {i}"}) + "\n")
    with open(d / "interactions.jsonl", "w") as f:
        for u in range(users):
            for k in range(7):
                f.write(json.dumps({"user": f"n{u}", "item": f"b{(3 * u + k) % items_known + 1}", "at": f"2026-12-0{1 + k % 3}T10:{u:02d}:{k:02d}Z",
                                    "kind": "click"}) + "\n")
            f.write(json.dumps({"user": f"n{u}", "item": f"b{(u % 5) + 1}", "at": "2026-12-03T11:00:00Z", "kind": "dislike"}) + "\n")
        f.write(json.dumps({"user": "n0", "item": f"b{items_known + 1}", "at": "2026-12-03T12:00:00Z", "kind": "click"}) + "\n")
    return str(d)


def test_an_update_trains_a_short_term_lora_combines_it_and_packages_a_candidate_that_carries_the_long_term_lora(tmp_path, monkeypatch, capsys):
    torch.set_num_threads(1)
    version, long = _version(tmp_path, monkeypatch)
    assert os.path.isfile(os.path.join(version, "training", "checkpoint", "adapter_model.safetensors"))
    assert os.path.isfile(os.path.join(version, "training", "sasrec.pt"))
    work = str(tmp_path / "work")

    state = update.prepare(version, _export(tmp_path), work)
    assert state["parent"] == "v1" and state["data"]["outside_item_space"] == 1  # the one click on an unknown item
    assert state["data"]["train"] > 0 and state["data"]["val"] > 0
    # Rows are in the version's item order: row k of the new data is row k of the model.
    items = json.load(open(os.path.join(version, "items.json")))["rows"]
    lines = open(os.path.join(work, "data", "items.tsv")).read().splitlines()
    assert [ln.split("\t")[1] for ln in lines] == [r["id"] for r in items]

    monkeypatch.setattr(rank, "micro_batch", 2)
    monkeypatch.setattr(rank, "grad_accum", 2)
    update.train(work, samples=8, epochs_=1, threads_=1)
    update.combine(work, threads_=1)
    update.evaluate(work, threads_=1)
    update.package(work, "v2", int8=False, fused=False, threads_=1)
    out = capsys.readouterr().out
    fractions = [json.loads(ln)["progress"] for ln in out.splitlines() if ln.startswith('{"progress"')]
    assert fractions and all(0 <= f <= 1 for f in fractions) and fractions[-1] == 1

    state = json.load(open(os.path.join(work, "update.json")))
    w = state["lsat"]["weight"]
    assert 0 <= w <= 1 and state["eval"]["test"]["rows"] == state["data"]["test"]
    candidate = os.path.join(work, "version")
    m = json.load(open(os.path.join(candidate, "manifest.json")))
    assert m["version"] == "v2" and m["parent"] == "v1" and m["ranking"]["kind"] == "label_head"
    assert m["parity"]["max_abs_diff_all_positions"] < export.tolerance  # the merged graph equals PyTorch's
    assert any(x["split"] == "test" for x in m["metrics"])
    # The candidate carries the long-term LoRA unchanged (not the combined one): the next update starts from it.
    from safetensors.torch import load_file
    carried = load_file(os.path.join(candidate, "training", "checkpoint", "adapter_model.safetensors"))
    original = load_file(os.path.join(long, "checkpoint", "adapter_model.safetensors"))
    assert carried.keys() == original.keys() and all(torch.equal(carried[k], original[k]) for k in original)
    recorded = json.load(open(os.path.join(candidate, "training", "lsat.json")))
    assert recorded["weight"] == w
    # The fusion the version serves is the one refitted on the val rows at w; so the app gates on test.
    assert m["ranking"]["validation"]["split"] == "test" and m["ranking"]["validation"]["rows"] == state["data"]["test"]
    assert {k: m["ranking"]["fusion"][k] for k in ("sasrec", "log_popularity", "beta")} == pytest.approx(
        {k: recorded["fusion"][k] for k in ("sasrec", "log_popularity", "beta")}, abs=1e-4)

    # The exported graph is W + w·ΔW_long + (1−w)·ΔW_short of the two runs (checked on the combined run it came from).
    from training.base_model import load as load_base
    from training.hybrid import add_slot_tokens
    base, _ = load_base(llara.run_paths(long, json.load(open(os.path.join(long, "info.json"))))[0])
    add_slot_tokens(base, helpers.tokenizer())
    merged = rank.load_run(os.path.join(work, "combined"), torch.device("cpu"))[1].lm.llm.merge_and_unload()
    want = lsat.combine(base, lsat.lora_deltas(long), lsat.lora_deltas(os.path.join(work, "short")), w)
    got, ref = _merged_delta(base, merged), _merged_delta(base, want)
    assert got.keys() == ref.keys() and all((got[k] - ref[k]).abs().max() < 1e-5 for k in ref)

    # A second update starts from the candidate: same long-term LoRA, a new short-term one.
    state2 = update.prepare(candidate, os.path.join(tmp_path, "export"), str(tmp_path / "work2"))
    assert state2["parent"] == "v2" and state2["long_run"] == os.path.abspath(os.path.join(candidate, "training"))


def test_an_update_is_refused_with_the_reason(tmp_path, monkeypatch):
    version, _ = _version(tmp_path, monkeypatch)
    # Too little new data: the counts say why.
    sparse = tmp_path / "sparse"
    sparse.mkdir()
    (sparse / "items.jsonl").write_text(json.dumps({"id": "b1", "title": "Book 1"}) + "\n")
    (sparse / "interactions.jsonl").write_text(json.dumps({"user": "a", "item": "b1", "at": "2026-12-01T00:00:00Z", "kind": "click"}) + "\n")
    with pytest.raises(update.UpdateError, match="not enough new data.*1 interactions"):
        update.prepare(version, str(sparse), str(tmp_path / "w1"))
    # A version without its training/ folder, and a title-generation version.
    import shutil
    shutil.rmtree(os.path.join(version, "training"))
    with pytest.raises(update.UpdateError, match="no training/ folder"):
        update.prepare(version, str(sparse), str(tmp_path / "w2"))
    m = json.load(open(os.path.join(version, "manifest.json")))
    m.pop("ranking")
    json.dump(m, open(os.path.join(version, "manifest.json"), "w"))
    with pytest.raises(update.UpdateError, match="title generation"):
        update.prepare(version, str(sparse), str(tmp_path / "w3"))
    # A later stage without prepare.
    with pytest.raises(update.UpdateError, match="run the prepare stage first"):
        update.train(str(tmp_path / "nowhere"))
