"""LSAT's adapter combination (training/lsat.py): ΔW of a LoRA is what peft's merge adds, the combined model is
W + w·ΔW_long + (1−w)·ΔW_short (also when the adapters target different layers), a combined run loads and
exports through the ordinary rank/export path, w is chosen on val, and the output ensemble is the weighted logits."""

import copy
import json
import os
import sys

import numpy as np
import pytest
import torch

from training import data, export, lsat, rank
from training.sasrec import SASRec
from training.tests import helpers
from training.tests.test_curriculum import _app_dataset

ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _randomize_lora(model, seed):
    """peft starts B at 0 (ΔW = 0): give every A and B random values so the adapters differ."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def _peft(base, layers, r, alpha, targets, seed, **extra):
    from peft import LoraConfig, get_peft_model
    model = get_peft_model(copy.deepcopy(base), LoraConfig(r=r, lora_alpha=alpha, target_modules=targets,
                                                           layers_to_transform=layers, task_type="CAUSAL_LM", **extra))
    _randomize_lora(model, seed)
    return model.eval()


def _merged_delta(base, peft_model):
    """peft's own answer: merge_and_unload's weights − the base's, per module that changed."""
    merged = copy.deepcopy(peft_model).merge_and_unload() if hasattr(peft_model, "peft_config") else peft_model
    b, m = dict(base.named_parameters()), dict(merged.named_parameters())
    return {k[: -len(".weight")]: (m[k] - b[k]).detach() for k in b if not torch.equal(m[k], b[k])}


def _reference(base, terms):
    """W + Σ k·ΔW, built by hand from the deltas' dicts: the PyTorch reference."""
    ref = copy.deepcopy(base)
    params = dict(ref.named_parameters())
    with torch.no_grad():
        for k, delta in terms:
            for name, d in delta.items():
                params[name + ".weight"] += k * d
    return ref


def _logits(model, ids):
    with torch.no_grad():
        return model(input_ids=ids).logits.float()


def _ids(n=24, seed=0):
    return torch.randint(0, 200, (2, n), generator=torch.Generator().manual_seed(seed))


def test_lora_delta_is_what_peft_merge_adds_with_alpha_over_r_and_only_where_it_targets():
    torch.set_num_threads(1)
    tok = helpers.tokenizer()
    base = helpers.tiny_llm(len(tok))
    for kwargs in ({"r": 4, "alpha": 16}, {"r": 8, "alpha": 8, "use_rslora": True},
                   {"r": 4, "alpha": 16, "rank_pattern": {"v_proj": 2}, "alpha_pattern": {"q_proj": 4}}):
        extra = {k: v for k, v in kwargs.items() if k not in ("r", "alpha")}
        model = _peft(base, [1], kwargs["r"], kwargs["alpha"], ["q_proj", "v_proj", "down_proj"], seed=1, **extra)
        want = _merged_delta(base, model)
        got = lsat.lora_deltas(model)
        assert set(got) == set(want) == {f"model.layers.1.{m}" for m in ("self_attn.q_proj", "self_attn.v_proj", "mlp.down_proj")}
        for name in want:
            assert (got[name] - want[name]).abs().max() < 1e-6, (kwargs, name)
    # The same from the saved adapter (state dict + config), as a run's checkpoint holds it.
    from peft import get_peft_model_state_dict
    state, config = get_peft_model_state_dict(model), model.peft_config["default"].to_dict()
    saved = lsat.lora_deltas(state, config)
    assert all(torch.equal(saved[k], got[k]) for k in got)
    with pytest.raises(ValueError, match="needs its config"):
        lsat.lora_deltas(state)


def test_combine_is_w_long_plus_one_minus_w_short_even_when_the_adapters_target_different_layers():
    torch.set_num_threads(1)
    tok = helpers.tokenizer()
    base = helpers.tiny_llm(len(tok))
    long = _peft(base, [1], 4, 16, ["q_proj", "v_proj", "o_proj"], seed=1)  # top layer only, attention
    short = _peft(base, [0, 1], 8, 16, ALL, seed=2)  # every layer and module
    d_long, d_short = _merged_delta(base, long), _merged_delta(base, short)
    assert set(d_long) < set(d_short) and "model.layers.0.self_attn.q_proj" not in d_long
    ids = _ids()
    merged_long = copy.deepcopy(long).merge_and_unload()
    merged_short = copy.deepcopy(short).merge_and_unload()
    for w, want in ((1.0, _logits(merged_long, ids)), (0.0, _logits(merged_short, ids)),
                    (0.3, _logits(_reference(base, [(0.3, d_long), (0.7, d_short)]), ids))):
        model = lsat.combine(base, long, short, w)
        assert not hasattr(model, "peft_config") and type(model) is type(base)  # plain transformers
        assert (_logits(model, ids) - want).abs().max() < 1e-5, w
    # The deltas themselves are accepted too, and the base is left untouched.
    before = {k: v.clone() for k, v in base.state_dict().items()}
    model = lsat.combine(base, lsat.lora_deltas(long), lsat.lora_deltas(short), 0.3)
    assert (_logits(model, ids) - _logits(_reference(base, [(0.3, d_long), (0.7, d_short)]), ids)).abs().max() < 1e-5
    assert all(torch.equal(before[k], v) for k, v in base.state_dict().items())


def test_concatenated_adapter_is_the_exact_lora_of_the_weighted_sum():
    tok = helpers.tokenizer()
    base = helpers.tiny_llm(len(tok))
    long = _peft(base, [1], 4, 16, ["q_proj", "v_proj"], seed=1)
    short = _peft(base, [0, 1], 8, 32, ALL, seed=2)
    state, r, layers, targets = lsat.concat_adapters(long, short, 0.3)
    assert r == 12 and layers == [0, 1] and targets == sorted(ALL)
    got = lsat.lora_deltas(state, {"lora_alpha": r})
    want_l, want_s = lsat.lora_deltas(long), lsat.lora_deltas(short)
    assert set(got) == set(want_s)
    for name in got:
        want = 0.3 * want_l.get(name, 0) + 0.7 * want_s[name]
        assert (got[name] - want).abs().max() < 1e-5, name


def choose_weight_scores(w):
    return -(w - 0.3) ** 2


def test_choose_weight_picks_the_arg_max_and_breaks_ties_with_the_second_score():
    best, curve = lsat.choose_weight(choose_weight_scores)
    assert best == 0.3 and [w for w, _ in curve] == lsat.grid
    assert max(curve, key=lambda p: p[1])[0] == 0.3
    # A flat first score (HR@1 ties): the second one (−cross-entropy) decides.
    best, _ = lsat.choose_weight(lambda w: (0.5, -abs(w - 0.7)), [0.0, 0.5, 0.7, 1.0])
    assert best == 0.7


def test_output_ensemble_of_two_models_is_the_weighted_logits():
    tok = helpers.tokenizer()
    a, b = helpers.tiny_llm(len(tok), seed=1), helpers.tiny_llm(len(tok), seed=2)
    ids = _ids()
    got = lsat.ensemble_logits(a, b, 0.3, input_ids=ids)
    assert (got - (0.3 * _logits(a, ids) + 0.7 * _logits(b, ids))).abs().max() < 1e-5
    assert torch.equal(lsat.ensemble_logits(_logits(a, ids), _logits(b, ids), 1.0), _logits(a, ids))


# --- run folders: combine, load, export ---------------------------------------------------

def _fixture(tmp_path):
    ds_dir = _app_dataset(tmp_path)
    base = helpers.base_folder(str(tmp_path / "base"))
    ds = data.load(ds_dir)
    torch.manual_seed(0)
    sas = SASRec(ds.num_items, dim=8, max_len=10)
    os.makedirs(tmp_path / "runs" / "sasrec-app")
    sasrec = str(tmp_path / "runs" / "sasrec-app" / "model.pt")
    torch.save({"state_dict": sas.state_dict(), "num_items": ds.num_items, "dim": 8, "max_len": 10, "blocks": 2,
                "heads": 1, "model": "sasrec"}, sasrec)
    return ds_dir, base, sasrec


def _fake_run(tmp_path, name, hybrid, layers, seed, fixture, mix, beta):
    """A rank run folder as training.rank writes it, with random LoRA weights (no training needed)."""
    import argparse
    ds_dir, base, sasrec = fixture
    args = argparse.Namespace(dataset=ds_dir, data_dir=None, base=base, sasrec=sasrec, hybrid=hybrid, head="labels",
                              order="shuffled", title_tokens=4, with_creator=True, catalog=None, lora_layers=layers,
                              beta_init=beta, seed=seed, dtype="fp32", device="cpu")
    torch.manual_seed(seed)
    ds, recommender, item_table, ranker, prompt, tok = rank.setup(args, torch.device("cpu"), for_training=False)
    _randomize_lora(ranker.lm.llm, seed)
    ranker.mix.data.copy_(torch.tensor(mix))
    run = str(tmp_path / name)
    os.makedirs(run)
    rank.save_checkpoint(run, ranker, None, 1, 1, None, [])
    info = {"kind": "rank", "dataset": ds_dir, "domain": ds.domain, "base": base, "sasrec": sasrec, "train_rows": 8,
            "total_steps": 1, "hybrid": hybrid, "head": "labels", "order": "shuffled", "title_tokens": 4,
            "with_creator": False, "lora": {"r": rank.lora_r, "alpha": rank.lora_alpha, "dropout": rank.lora_dropout,
                                            "targets": rank.lora_targets, "layers": layers if hybrid == "off" else "all"}}
    with open(os.path.join(run, "info.json"), "w") as f:
        json.dump(info, f)
    return run


def _merged_run(run):
    """A run's plain merged LLM (its own adapter merged by peft), the projector, mix and β."""
    _, ranker, *_ = rank.load_run(run, torch.device("cpu"))
    return ranker.lm.llm.merge_and_unload(), ranker


def test_combined_run_loads_as_a_rank_run_and_exports_to_onnx_equal_to_the_reference(tmp_path, monkeypatch):
    """Long: text-only, LoRA on the top layer; short: hybrid, every layer. The combined run folder, read by
    training.rank and exported by training.export unchanged, is W + 0.3·ΔW_long + 0.7·ΔW_short."""
    torch.set_num_threads(1)
    fx = _fixture(tmp_path)
    long = _fake_run(tmp_path, "long", "off", 1, 1, fx, [1.0, 0.5], 0.5)
    short = _fake_run(tmp_path, "short", "on", 2, 2, fx, [0.6, 0.1], 0.2)
    from training.base_model import load as load_base
    from training.hybrid import add_slot_tokens
    base, tok = load_base(fx[1])
    add_slot_tokens(base, tok)
    long_llm, long_ranker = _merged_run(long)
    short_llm, short_ranker = _merged_run(short)
    d_long, d_short = _merged_delta(base, long_llm), _merged_delta(base, short_llm)
    assert not any(".layers.0." in k for k in d_long) and any(".layers.0." in k for k in d_short)
    reference = _reference(base, [(0.3, d_long), (0.7, d_short)])

    out = str(tmp_path / "combined")
    lsat.combine_runs(long, short, 0.3, out)
    info = json.load(open(os.path.join(out, "info.json")))
    assert info["lsat"]["weight"] == 0.3 and info["lora"]["r"] == 2 * rank.lora_r
    assert info["hybrid"] == "off" and info["lora"]["layers"] == 2  # the long run's prompt, LoRA on the union (all)
    assert json.load(open(os.path.join(out, "lsat.json")))["short_run"]["run"] == os.path.abspath(short)
    merged, ranker = _merged_run(out)
    ids = _ids()
    assert (_logits(merged, ids) - _logits(reference, ids)).abs().max() < 1e-5
    assert (_logits(merged, ids) - _logits(lsat.combine(base, lsat.lora_deltas(long), lsat.lora_deltas(short), 0.3),
                                           ids)).abs().max() < 1e-5
    assert torch.allclose(ranker.mix.data, 0.3 * long_ranker.mix.data + 0.7 * short_ranker.mix.data)
    assert torch.allclose(ranker.beta.data, 0.3 * long_ranker.beta.data + 0.7 * short_ranker.beta.data)
    # Only the short run trained its projector (hybrid): the combined run keeps it.
    assert all(torch.equal(a, b) for a, b in zip(ranker.lm.projector.parameters(), short_ranker.lm.projector.parameters()))

    # Through the project's export path, unchanged: python -m training.export --run ... --out ... (fp32 graph).
    folder = str(tmp_path / "version")
    monkeypatch.setattr(sys, "argv", ["export", "--run", out, "--out", folder, "--no-int8", "--no-fused"])
    export.main()
    m = json.load(open(os.path.join(folder, "manifest.json")))
    assert m["ranking"]["kind"] == "label_head" and m["parity"]["max_abs_diff_all_positions"] < export.tolerance
    d = m["dims"]
    dec = export.OrtDecoder(os.path.join(folder, "llm.onnx"), d)
    # A prompt with two behaviour slots: the combined projector is in the graph too.
    from training.hybrid import HybridLM
    hybrid = HybridLM(reference, ranker.lm.projector).eval()
    x = ids[:1]
    mask = torch.zeros(x.shape, dtype=torch.bool)
    mask[0, [3, 9]] = True
    rec = torch.randn(1, x.shape[1], d["rec_dim"], generator=torch.Generator().manual_seed(3))
    want, _ = export.torch_forward(hybrid, x, rec, mask)
    got, _ = dec.run(x.numpy(), rec.numpy(), mask.numpy(), dec.empty_past(), 0)
    assert np.abs(got - want.numpy()).max() < export.tolerance  # all positions


def test_weight_auto_chooses_w_on_val_rows_and_records_both_curves(tmp_path):
    torch.set_num_threads(1)
    fx = _fixture(tmp_path)
    long = _fake_run(tmp_path, "long", "off", 1, 1, fx, [1.0, 0.5], 0.5)
    short = _fake_run(tmp_path, "short", "off", 2, 2, fx, [0.6, 0.1], 0.2)
    rows_file = os.path.join(fx[0], "train.jsonl")  # any rows of the dataset's layout: here 12 of its training rows
    out = str(tmp_path / "combined")
    res = lsat.combine_runs(long, short, "auto", out, grid=[0.0, 0.5, 1.0], rows_file=rows_file, samples=12)
    saved = json.load(open(os.path.join(out, "lsat.json")))
    assert saved == json.load(open(os.path.join(out, "info.json")))["lsat"] == res
    assert [p["w"] for p in saved["curve"]] == [0.0, 0.5, 1.0] == [p["w"] for p in saved["ensemble"]["curve"]]
    assert saved["validation"]["rows"] == 12 and saved["weight"] in (0.0, 0.5, 1.0)
    best = max(saved["curve"], key=lambda p: (p["hr1"], -p["ce"]))
    assert best["w"] == saved["weight"]
    # The written run is the chosen w, with the fusion's (a, b, β) refitted on those val rows.
    _, ranker = _merged_run(out)
    fusion = saved["fusion"]
    assert ranker.mix.data.tolist() == pytest.approx([fusion["sasrec"], fusion["log_popularity"]], abs=1e-4)
    assert float(ranker.beta) == pytest.approx(fusion["beta"], abs=1e-4)
    # Averaging the fusion instead: the written run carries the w-average, and at every w the refitted
    # fusion's cross-entropy on the val rows is no higher (the fit starts from that average).
    averaged = lsat.combine_runs(long, short, "auto", str(tmp_path / "averaged"), grid=[0.0, 0.5, 1.0],
                                 rows_file=rows_file, samples=12, refit=False)
    _, ranker = _merged_run(str(tmp_path / "averaged"))
    st_long, st_short = torch.load(os.path.join(long, "checkpoint", "state.pt")), torch.load(os.path.join(short, "checkpoint", "state.pt"))
    w = averaged["weight"]
    assert torch.allclose(ranker.mix.data, w * st_long["mix"] + (1 - w) * st_short["mix"])
    # Then at w = 1 and w = 0 averaging and ensembling are the same model: the two curves meet there.
    for i in (0, 2):
        assert averaged["curve"][i]["ce"] == pytest.approx(averaged["ensemble"]["curve"][i]["ce"], abs=2e-4)
    assert averaged["ensemble"] == saved["ensemble"]  # the ensemble reads each run with its own fusion either way
    for refitted, plain in zip(saved["curve"], averaged["curve"]):
        assert refitted["ce"] <= plain["ce"] + 1e-4
    assert any(refitted["ce"] < plain["ce"] - 1e-3 for refitted, plain in zip(saved["curve"], averaged["curve"]))


def test_a_run_combined_with_itself_at_w_1_is_that_run_with_its_fusion_refitted(tmp_path):
    """How bench/incremental gives the full retrain and the fine-tune LSAT's fusion refit."""
    torch.set_num_threads(1)
    fx = _fixture(tmp_path)
    run = _fake_run(tmp_path, "run", "off", 1, 1, fx, [1.0, 0.5], 0.5)
    rows_file = os.path.join(fx[0], "train.jsonl")
    refitted = lsat.combine_runs(run, run, "auto", str(tmp_path / "r"), grid=[1.0], rows_file=rows_file, samples=12)
    own = lsat.combine_runs(run, run, "auto", str(tmp_path / "o"), grid=[1.0], rows_file=rows_file, samples=12, refit=False)
    assert refitted["weight"] == 1.0 and len(refitted["curve"]) == 1 and refitted["ensemble"] is None
    assert refitted["curve"][0]["ce"] < own["curve"][0]["ce"]
    want, got = lsat.lora_deltas(run), lsat.lora_deltas(str(tmp_path / "r"))
    assert want.keys() == got.keys() and all(torch.allclose(got[k], want[k], atol=1e-6) for k in want)
    _, ranker = _merged_run(str(tmp_path / "o"))
    assert ranker.mix.data.tolist() == pytest.approx([1.0, 0.5]) and float(ranker.beta) == pytest.approx(0.5)


def test_the_sweep_runs_the_layers_below_the_adapters_once_and_scores_as_without_the_shortcut(tmp_path, monkeypatch):
    """LoRA on the top layer of two: at every w after the first, layer 0's output is replayed, not recomputed,
    and the curves are those of full passes."""
    import collections
    import contextlib
    from transformers.models.llama import modeling_llama
    torch.set_num_threads(1)
    fx = _fixture(tmp_path)
    long = _fake_run(tmp_path, "long", "off", 1, 1, fx, [1.0, 0.5], 0.5)
    short = _fake_run(tmp_path, "short", "off", 1, 2, fx, [0.6, 0.1], 0.2)
    rows_file = os.path.join(fx[0], "train.jsonl")
    attention, calls = modeling_llama.LlamaAttention.forward, collections.Counter()

    def counting(self, *args, **kwargs):
        calls[self.layer_idx] += 1
        return attention(self, *args, **kwargs)

    monkeypatch.setattr(modeling_llama.LlamaAttention, "forward", counting)
    grid = [0.0, 0.5, 1.0]
    replayed = lsat.combine_runs(long, short, "auto", str(tmp_path / "a"), grid=grid, rows_file=rows_file, samples=12)
    assert calls[1] == 3 * calls[0] > 0  # layer 1 (LoRA) at each of the 3 w, layer 0 once per batch
    calls.clear()
    monkeypatch.setattr(lsat, "frozen_bottom_replay", lambda llm: contextlib.nullcontext(0))
    full = lsat.combine_runs(long, short, "auto", str(tmp_path / "b"), grid=grid, rows_file=rows_file, samples=12)
    assert calls[1] == calls[0] > 0
    for a, b in zip(replayed["curve"] + replayed["ensemble"]["curve"], full["curve"] + full["ensemble"]["curve"]):
        assert a["hr1"] == b["hr1"] and a["ce"] == pytest.approx(b["ce"], abs=1e-6)
    assert replayed["weight"] == full["weight"]


def test_runs_read_differently_are_refused(tmp_path):
    fx = _fixture(tmp_path)
    long = _fake_run(tmp_path, "long", "off", 1, 1, fx, [1.0, 0.5], 0.5)
    short = _fake_run(tmp_path, "short", "off", 1, 2, fx, [1.0, 0.5], 0.5)
    info = json.load(open(os.path.join(short, "info.json")))
    info["head"] = "items"
    json.dump(info, open(os.path.join(short, "info.json"), "w"))
    with pytest.raises(ValueError, match="differ in head"):
        lsat.combine_runs(long, short, 0.5, str(tmp_path / "c"))
    assert not os.path.exists(tmp_path / "c") and not os.path.exists(str(tmp_path / "c") + ".building")


def test_a_short_term_run_trains_on_a_rows_file_starting_from_an_existing_runs_weights(tmp_path):
    """python -m training.rank --rows FILE --init-from RUN: the rows come from the file (a row also in the dataset's
    training split keeps its cross-fitting fold) and step 0 is RUN's adapter, projector, mix and β."""
    import argparse
    from safetensors.torch import load_file
    torch.set_num_threads(1)
    fx = _fixture(tmp_path)
    ds_dir, base, sasrec = fx
    for k in range(2):
        os.makedirs(tmp_path / "runs" / f"sasrec-app-fold{k}of2")
        torch.save(torch.load(sasrec, weights_only=False), tmp_path / "runs" / f"sasrec-app-fold{k}of2" / "model.pt")
    long = _fake_run(tmp_path, "long", "off", 1, 1, fx, [1.0, 0.5], 0.5)
    newest = tmp_path / "newest.jsonl"
    with open(os.path.join(ds_dir, "train.jsonl")) as f:
        newest.write_text("".join(f.readlines()[-6:]))  # the last 6 training rows stand for the newest period
    args = argparse.Namespace(dataset=ds_dir, data_dir=None, base=base, sasrec=sasrec, run=str(tmp_path / "short"),
                              rows=str(newest), init_from=long, train_samples=0, epochs=1, micro_batch=2, grad_accum=3,
                              lr=0.0, fusion_lr=0.0, lora_layers=2, hybrid="off", head="labels", order="shuffled",
                              title_tokens=4, with_creator=True, beta_init=0.5, aux_weight=0.0, keep_lm=0.0,
                              request_share=0.0, catalog=None, eval_every=0, save_every=10, seed=0, threads=1,
                              device="cpu", dtype="fp32")
    rank.train(args)
    info = json.load(open(tmp_path / "short" / "info.json"))
    assert info["train_rows"] == 6 and info["total_steps"] == 1
    assert info["rows_file"] == str(newest) and info["init_from"] == os.path.abspath(long)
    # lr 0: the saved weights are the starting ones, i.e. the long run's (its top layer; layer 0 still a zero ΔW).
    got, want = load_file(tmp_path / "short" / "checkpoint" / "adapter_model.safetensors"), load_file(
        os.path.join(long, "checkpoint", "adapter_model.safetensors"))
    assert all(torch.equal(got[k], v) for k, v in want.items())
    assert all(not got[k].any() for k in got if ".layers.0." in k and "lora_B" in k)
    st, st_long = (torch.load(os.path.join(r, "checkpoint", "state.pt"), weights_only=False) for r in (args.run, long))
    assert torch.equal(st["mix"], st_long["mix"]) and torch.equal(st["beta"], st_long["beta"])
    # File rows that are training rows keep their fold.
    ds, recommender, *_ = rank.setup(argparse.Namespace(**{**vars(args), "lora_layers": 1}), torch.device("cpu"), for_training=False)
    assert set(recommender.fold_of.values()) == {0, 1}
    fold_by_pair = {(tuple(r.history), r.target): recommender.fold_of[id(r)] for r in ds.train}
    rows = rank.rows_from_file(str(newest), ds, recommender)
    assert [recommender.fold_of[id(r)] for r in rows] == [fold_by_pair[(tuple(r.history), r.target)] for r in rows]
    # A LoRA on more layers than this run adapts is refused, with the reason.
    wide = _fake_run(tmp_path, "wide", "off", 2, 3, fx, [1.0, 0.5], 0.5)
    with pytest.raises(ValueError, match="layers this run does not adapt"):
        rank.train(argparse.Namespace(**{**vars(args), "run": str(tmp_path / "short2"), "init_from": wide, "lora_layers": 1}))


def test_the_cli_writes_a_combined_run_and_refuses_a_weight_outside_0_1(tmp_path, monkeypatch, capsys):
    fx = _fixture(tmp_path)
    long = _fake_run(tmp_path, "long", "off", 1, 1, fx, [1.0, 0.5], 0.5)
    short = _fake_run(tmp_path, "short", "off", 2, 2, fx, [0.6, 0.1], 0.2)
    out = str(tmp_path / "c")
    monkeypatch.setattr(sys, "argv", ["lsat", "combine", "--long-run", long, "--short-run", short, "--weight", "0.25", "--out", out])
    lsat.main()
    assert json.load(open(os.path.join(out, "lsat.json")))["weight"] == 0.25 and "wrote" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["lsat", "combine", "--long-run", long, "--short-run", short, "--weight", "1.5", "--out", out])
    with pytest.raises(SystemExit, match="w must be in"):
        lsat.main()
    assert json.load(open(os.path.join(out, "lsat.json")))["weight"] == 0.25  # the previous run is left as it was
