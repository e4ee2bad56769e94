import argparse
import json
import os
import random

import torch

from training import data, llara
from training.sasrec import SASRec
from training.tests import helpers


def test_hybrid_probability_rises_with_the_step_over_the_whole_run():
    total = 4000
    rng = random.Random(0)
    draws = [llara.curriculum_is_hybrid(s, total, rng) for s in range(total)]
    quarters = [sum(draws[i * 1000:(i + 1) * 1000]) / 1000 for i in range(4)]
    assert not draws[0]
    assert quarters == sorted(quarters)
    # Expected shares per quarter: .125, .375, .625, .875 (the ramp reaches 1 at the end of the run).
    for got, want in zip(quarters, (0.125, 0.375, 0.625, 0.875)):
        assert abs(got - want) < 0.05


def test_learning_rate_warms_up_then_decays_to_zero():
    total, peak = 200, 1e-3
    lrs = [llara.lr_at(s, total, peak) for s in range(total)]
    w = total // 20
    assert lrs[0] < lrs[w - 1] == peak
    assert all(a >= b for a, b in zip(lrs[w:], lrs[w + 1:]))
    assert lrs[-1] < peak * 0.01


def _app_dataset(tmp):
    """A small converted dataset: 30 users reading a shifting window of 40 items."""
    titles = helpers.titles(40)
    with open(tmp / "items.jsonl", "w") as f:
        for i in range(1, 41):
            f.write(json.dumps({"id": f"b{i}", "title": titles[i]}) + "\n")
    with open(tmp / "inter.jsonl", "w") as f:
        for u in range(30):
            for k in range(8):
                f.write(json.dumps({"user": f"u{u}", "item": f"b{(u + k) % 40 + 1}", "at": 1000 * k + u,
                                    "kind": "click"}) + "\n")
    data.convert(str(tmp / "inter.jsonl"), str(tmp / "items.jsonl"), str(tmp / "app"))
    return str(tmp / "app")


def _args(tmp, ds_dir, sasrec_path, run):
    return argparse.Namespace(dataset=ds_dir, data_dir=None, base=str(tmp / "base"), sasrec=sasrec_path, run=run,
                              train_samples=8, epochs=1, micro_batch=2, grad_accum=2, lr=1e-2, weight_decay=0.0,
                              save_every=1, seed=0, threads=1, device="cpu", dtype="fp32")


def _params(run_dir):
    st = torch.load(os.path.join(run_dir, "checkpoint", "state.pt"), weights_only=False)
    from safetensors.torch import load_file
    return st, load_file(os.path.join(run_dir, "checkpoint", "adapter_model.safetensors"))


def test_projector_is_frozen_on_text_only_steps_and_training_resumes(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    ds_dir = _app_dataset(tmp_path)
    helpers.base_folder(str(tmp_path / "base"))
    ds = data.load(ds_dir)
    sas = SASRec(ds.num_items, dim=8, max_len=10)
    torch.save({"state_dict": sas.state_dict(), "num_items": ds.num_items, "dim": 8, "max_len": 10, "blocks": 2,
                "heads": 1, "model": "sasrec"}, tmp_path / "sasrec.pt")
    inits = []  # the projector as build() made it, before any step
    build = llara.build

    def spy(*a, **k):
        model, tok = build(*a, **k)
        inits.append({n: v.clone() for n, v in model.projector.state_dict().items()})
        return model, tok
    monkeypatch.setattr(llara, "build", spy)

    monkeypatch.setattr(llara, "curriculum_is_hybrid", lambda step, total, rng: False)
    text_run = str(tmp_path / "text")
    llara.train(_args(tmp_path, ds_dir, str(tmp_path / "sasrec.pt"), text_run))
    st, lora = _params(text_run)
    assert st["step"] == 2
    for k, v in inits[0].items():  # untouched: no gradient step and no Adam moment moved it
        assert torch.equal(st["projector"][k], v), k
    assert any(v.abs().sum() > 0 for k, v in lora.items() if "lora_B" in k)  # LoRA B starts at 0 and moved
    log = [json.loads(line) for line in open(os.path.join(text_run, "train_log.jsonl"))]
    assert [r["hybrid"] for r in log] == [False, False]

    monkeypatch.setattr(llara, "curriculum_is_hybrid", lambda step, total, rng: True)
    hyb_run = str(tmp_path / "hybrid")
    llara.train(_args(tmp_path, ds_dir, str(tmp_path / "sasrec.pt"), hyb_run))
    st, _ = _params(hyb_run)
    assert any(not torch.equal(st["projector"][k], v) for k, v in inits[1].items())

    # A rerun with the same run folder resumes at the saved step and trains nothing more.
    llara.train(_args(tmp_path, ds_dir, str(tmp_path / "sasrec.pt"), hyb_run))
    log = [json.loads(line) for line in open(os.path.join(hyb_run, "train_log.jsonl"))]
    assert len(log) == 2
