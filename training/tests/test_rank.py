"""The listwise label head: labels are single tokens, the prompt is built from segments, the fused loss
is the recommender's at β = 0, cross-fitting keeps users in one fold, the paired test, and a short
training run that resumes."""

import argparse
import json
import math
import os

import pytest
import torch
import torch.nn.functional as F

from training import data, rank, stats
from training.prompts import Sample, sample_candidates
from training.sasrec import SASRec
from training.tests import helpers
from training.tests.test_curriculum import _app_dataset


def test_every_label_is_one_token_alone_and_in_the_list():
    tok = helpers.tokenizer()
    ids = rank.label_token_ids(tok)
    assert len(ids) == 20 == len(set(ids))
    for label, i in zip(rank.LABELS, ids):
        assert tok(label, add_special_tokens=False)["input_ids"] == [i]
        assert i in tok(f" ({label})", add_special_tokens=False)["input_ids"]


def test_a_label_that_is_two_tokens_is_refused():
    tok = helpers.tokenizer()
    rank.LABELS.append("Zebra crossing")
    try:
        with pytest.raises(ValueError, match="label 'Zebra crossing' is not a single token"):
            rank.label_token_ids(tok)
    finally:
        rank.LABELS.pop()


def test_the_prompt_is_its_segments_tokenized_one_by_one_with_titles_cut_and_slots_in_place():
    tok = helpers.tokenizer()
    prompt = rank.RankPrompt(tok, "book", title_tokens=3)
    titles = helpers.titles(30)
    hist, cands = [3, 1, 2], list(range(4, 24))
    ids, slots, ends = prompt.encode([titles[i] for i in hist], [titles[c] for c in cands], True, "something funny", hist, cands)
    enc = prompt.enc
    want = enc(prompt.segments["head"])
    for n, i in enumerate(hist):
        want += enc(f"\n{n + 1}.") + enc(" " + titles[i])[:3] + [tok.convert_tokens_to_ids("[HistoryEmb]")]
    want += enc("\nCandidates:")
    for label, c in zip(rank.LABELS, cands):
        want += enc("\n") + enc(" " + titles[c])[:3] + [tok.convert_tokens_to_ids("[CansEmb]")] + enc(f" ({label})")
    want += enc("\nRequest: something funny") + enc(prompt.segments["tail"])
    assert ids == want
    assert [s for s in slots if s] == hist + cands  # each slot carries its item, in order
    # A creator follows the cut title as its own segment.
    with_author, _, _ = prompt.encode([(titles[3], "Ann Leckie")], [(titles[4], None)], False)
    assert with_author[len(enc(prompt.segments["head"])):][:len(enc("\n1.")) + 3 + len(enc(" — Ann Leckie"))] == (
        enc("\n1.") + enc(" " + titles[3])[:3] + enc(" — Ann Leckie"))
    # Text-only: no slot tokens at all, and nothing else changes.
    text_ids, text_slots, _ = prompt.encode([titles[i] for i in hist], [titles[c] for c in cands], False, None, hist, cands)
    assert not any(text_slots) and tok.convert_tokens_to_ids("[CansEmb]") not in text_ids


def test_fused_loss_is_the_recommenders_at_beta_zero_and_moves_beta_toward_the_llms_evidence():
    # Two rows, three candidates; the LLM prefers the target in both, SASRec does not.
    features = torch.tensor([[[2.0, 0.0], [1.0, 1.0], [0.0, 0.0]],
                             [[0.5, 2.0], [1.5, 0.0], [0.0, 1.0]]])
    llm = torch.tensor([[0.0, 0.0, 3.0], [0.0, 0.0, 2.0]])
    targets = torch.tensor([2, 2])
    ranker = rank.FusedRanker(torch.nn.Identity(), [0, 1, 2], torch.tensor([1.0, 0.5]), beta=0.0)
    loss = F.cross_entropy(ranker.fuse(llm, features), targets)
    recommender_only = F.cross_entropy(features @ torch.tensor([1.0, 0.5]), targets)
    assert torch.allclose(loss, recommender_only)
    loss.backward()
    # d loss / d β = mean over rows of (E_p[llm] - llm[target]) < 0 here: a step raises β.
    p = torch.softmax(features @ torch.tensor([1.0, 0.5]), -1)
    want = ((p * llm).sum(-1) - llm[torch.arange(2), targets]).mean()
    assert math.isclose(float(ranker.beta.grad), float(want), rel_tol=1e-5) and want < 0
    # By hand for row 0 at β = 1: scores 2, 1.5, 3 → loss -log(e^3 / (e^2 + e^1.5 + e^3)).
    ranker.beta.data.fill_(1.0)
    row0 = F.cross_entropy(ranker.fuse(llm[:1], features[:1]), targets[:1])
    assert math.isclose(float(row0), -math.log(math.exp(3) / (math.exp(2) + math.exp(1.5) + math.exp(3))), rel_tol=1e-5)


def test_training_folds_keep_each_users_rows_together():
    rows = []
    for user in range(9):  # user u reads items 10u+1 .. 10u+6: rows continue while the history ends in the last target
        seq = [10 * user + k for k in range(1, 7)]
        rows += [Sample(seq[:k], [], seq[k]) for k in range(3, 6)]
    folds = data.training_folds(rows, 3)
    per_user = [set(folds[3 * u:3 * u + 3]) for u in range(9)]
    assert all(len(f) == 1 for f in per_user)
    assert sorted(f.pop() for f in per_user) == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_paired_test_counts_discordant_rows_and_gives_mcnemars_exact_p():
    a = [True] * 10 + [False] * 2 + [True] * 50
    b = [False] * 10 + [True] * 2 + [True] * 50
    c = stats.paired(a, b, resamples=2000)
    assert (c["wins"], c["losses"]) == (10, 2)
    assert math.isclose(c["diff"], 8 / 62)
    # Two-sided exact binomial: 2 · P(X ≤ 2 | n = 12, p = ½) = 2 · 79 / 4096.
    assert math.isclose(c["p_mcnemar"], 2 * 79 / 4096)
    assert c["ci95"][0] > 0 and c["ci95"][0] < c["diff"] < c["ci95"][1]
    assert stats.paired([True, False], [True, False])["p_mcnemar"] == 1.0


def test_ranker_trains_with_cross_fitted_sasrec_resumes_and_evaluates_every_ranker(tmp_path):
    torch.set_num_threads(1)
    ds_dir = _app_dataset(tmp_path)
    base = helpers.base_folder(str(tmp_path / "base"))
    ds = data.load(ds_dir)
    runs = tmp_path / "runs"
    for name, train_rows in (("", ds.train), ("-fold0of2", None), ("-fold1of2", None)):
        sas = SASRec(ds.num_items, dim=8, max_len=10)
        os.makedirs(runs / f"sasrec-app{name}")
        torch.save({"state_dict": sas.state_dict(), "num_items": ds.num_items, "dim": 8, "max_len": 10, "blocks": 2,
                    "heads": 1, "model": "sasrec"}, runs / f"sasrec-app{name}" / "model.pt")
    args = argparse.Namespace(dataset=ds_dir, data_dir=None, base=base, sasrec=str(runs / "sasrec-app" / "model.pt"),
                              run=str(tmp_path / "rank"), train_samples=8, epochs=1, micro_batch=2, grad_accum=2, lr=1e-2,
                              fusion_lr=1e-2, lora_layers=1, hybrid="curriculum", head="labels", order="shuffled", title_tokens=4, with_creator=True,
                              beta_init=0.5, aux_weight=0.5, keep_lm=0.0, request_share=0.0, catalog=None, eval_every=4, save_every=1, seed=0, threads=1, device="cpu", dtype="fp32",
                              splits="val")
    rank.train(args)
    log = [json.loads(line) for line in open(tmp_path / "rank" / "train_log.jsonl")]
    assert [r["step"] for r in log] == [1, 2]
    st = torch.load(tmp_path / "rank" / "checkpoint" / "state.pt", weights_only=False)
    assert st["step"] == 2 and len(st["curve"]) == 2  # a learning-curve point every 4 samples
    assert set(st["curve"][0]) >= {"samples", "sasrec", "llm", "fusion", "beta"}
    rank.train(args)  # resumes at step 2 of 2: nothing more
    assert len(open(tmp_path / "rank" / "train_log.jsonl").readlines()) == 2

    results = rank.run_eval(args)
    val = results["val"]
    assert val["rows"] == len(ds.val)
    assert set(val["hr1"]) == {"popularity", "sasrec", "sasrec+pop", "llm", "fusion"}
    assert {"diff", "ci95", "wins", "losses", "p_mcnemar"} <= set(val["fusion_vs_sasrec"])
    assert all(len(h) == len(ds.val) for h in val["hits"].values())


def test_request_rows_keep_the_target_meeting_the_request_with_decoys_that_fail_it_and_companions_that_meet_it():
    import random
    from training import requests as req
    num_items = 200
    facts = [None] + [{"genres": ["fantasy"] if i % 4 == 0 else ["romance"] if i % 4 == 1 else ["horror", "thriller"],
                       "author": f"Author {i % 10}", "year": 1950 + i % 60} for i in range(1, num_items + 1)]
    rng = random.Random(0)
    popular = list(range(1, num_items + 1))
    for k in range(50):
        history = [k + 1, k + 2, k + 3]
        target = 100 + k
        sample = Sample(history, sample_candidates(history, target, num_items, rng, 20), target)
        line, kind, value, new = req.synthesize(sample, facts, popular, rng, num_items)
        assert new.target == target and target in new.candidates and len(new.candidates) == 20
        assert len(set(new.candidates)) == 20 and not set(new.candidates) & set(history)
        assert req.meets(facts[target], kind, value)  # the request describes the target
        meeting = [c for c in new.candidates if req.meets(facts[c], kind, value)]
        assert len(meeting) >= 2  # ... and not only the target: the history must still decide
        assert isinstance(line, str) and line


def test_item_ends_mark_each_candidates_closing_label_and_request_first_moves_the_request_before_the_list():
    tok = helpers.tokenizer()
    prompt = rank.RankPrompt(tok, "book", title_tokens=3)
    titles = helpers.titles(30)
    hist, cands = [3, 1, 2], list(range(4, 24))
    for request_first in (False, True):
        ids, _, ends = prompt.encode([titles[i] for i in hist], [titles[c] for c in cands], False, "something funny",
                                     hist, cands, request_first)
        label_end = [prompt.enc(f" ({label})")[-1] for label in rank.LABELS]
        assert len(ends) == 20 and ends == sorted(ends)
        assert [ids[e] for e in ends] == label_end
        request = prompt.enc("\nRequest: something funny")
        at = next(i for i in range(len(ids)) if ids[i:i + len(request)] == request)
        assert (at < ends[0]) == request_first  # before the list, where every candidate can read it


def test_beta_chosen_on_val_is_zero_for_a_useless_llm_and_large_for_a_decisive_one():

    g = torch.Generator().manual_seed(0)
    rows = [Sample([1], list(range(20)), t % 20) for t in range(200)]
    targets = torch.tensor([r.target for r in rows])
    features = torch.randn(200, 20, 2, generator=g)
    mix = torch.tensor([1.0, 0.0])
    noise = torch.randn(200, 20, generator=g)
    decisive = torch.nn.functional.one_hot(targets, 20).float() * 3
    assert rank.beta_on(features, noise, rows, mix) < 0.2
    assert rank.beta_on(features, decisive, rows, mix) > 1.0


def test_keep_lm_holds_the_adapted_models_next_token_distributions_near_the_base(tmp_path):
    """The merged ranking adapters also write the explanations: with keep-lm the adapted model's
    next-token distributions stay closer to the base model's than without, on rows it never saw."""
    torch.set_num_threads(1)
    ds_dir = _app_dataset(tmp_path)
    base = helpers.base_folder(str(tmp_path / "base"))
    ds = data.load(ds_dir)
    for name in ("", "-fold0of2", "-fold1of2"):
        os.makedirs(tmp_path / "runs" / f"sasrec-app{name}")
        sas = SASRec(ds.num_items, dim=8, max_len=10)
        torch.save({"state_dict": sas.state_dict(), "num_items": ds.num_items, "dim": 8, "max_len": 10, "blocks": 2,
                    "heads": 1, "model": "sasrec"}, tmp_path / "runs" / f"sasrec-app{name}" / "model.pt")

    def drift_after(weight):
        run = str(tmp_path / f"rank-keep{weight}")
        args = argparse.Namespace(dataset=ds_dir, data_dir=None, base=base, sasrec=str(tmp_path / "runs" / "sasrec-app" / "model.pt"),
                                  run=run, train_samples=16, epochs=1, micro_batch=2, grad_accum=1, lr=5e-2, fusion_lr=1e-2,
                                  lora_layers=2, hybrid="off", head="labels", order="shuffled", title_tokens=4, with_creator=True,
                                  beta_init=0.5, aux_weight=0.5, keep_lm=weight, request_share=0.0, catalog=None, eval_every=0,
                                  save_every=10, seed=0, threads=1, device="cpu", dtype="fp32")
        rank.train(args)
        _, ranker, prompt, run_ds, _, item_table = rank.load_run(run, torch.device("cpu"))
        rows = run_ds.val[:4]
        batch = rank.make_batch(prompt, run_ds.texts, rows, [list(range(len(r.candidates))) for r in rows], item_table, False)
        real = torch.arange(batch["input_ids"].shape[1] - int(batch["attention_mask"].sum(1).min()), batch["input_ids"].shape[1])
        with torch.no_grad():
            return float(rank.lm_drift(ranker.base_logits(batch, torch.device("cpu"), real), ranker.forward_at(batch, torch.device("cpu"), real)))

    free, held = drift_after(0.0), drift_after(5.0)
    assert free > 0
    assert held < 0.7 * free  # seeded: 0.57 against 1.10 when written
    same = torch.randn(3, 7, 11)
    assert float(rank.lm_drift(same, same)) == pytest.approx(0.0, abs=1e-6)
