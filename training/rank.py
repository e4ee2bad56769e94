"""
The listwise ranker: the LLM reads the user's history and 20 lettered candidates and scores all of
them in ONE forward pass — the logits of the 20 label tokens ("A" … "T") at the answer position.
It is trained as a correction to the recommender, never a replacement:

    recommender_i = a · SASRec_i + b · log(1 + popularity_i)        (fitted first, on training rows)
    fused_i       = recommender_i + β · LLM_i                         (a, b, β, LoRA learned together)
    loss          = cross-entropy of softmax(fused) against the true next item

so at β = 0 the fusion is exactly the recommender, and the LLM only has to learn what the
recommender misses (series order, same creator, what the request asks for). The LLM alone, the
recommender alone and the fusion are all reported.

    python -m training.rank --dataset lastfm --train-samples 4000           # CPU, resumable, learning curve
    python -m training.rank --dataset goodbooks --hybrid curriculum         # LLaRA's curriculum, all layers
    python -m training.rank --eval-only --run training/runs/rank-lastfm     # all rows, paired test
    python -m training.rank --dataset movielens --device cuda --train-samples 0 --epochs 1

The prompt (user turn of the chat template; segments are tokenized one by one and concatenated, so
the runtime can build the identical ids, and a title is cut to `title_tokens` tokens):

    This user's {items}, oldest first:
    1. <title> — <author>[HistoryEmb]      (hybrid)   1. <title> — <author>      (text-only)
    ...
    Candidates:
    <title> — <author>[CansEmb] (A)
    ...
    [Request: <what the user asked for>]
    Which {item} comes next? Answer with its letter.

and the answer position is the last token of the assistant prefix. Text-only runs put LoRA on the
top `lora_layers` layers only (backward never enters the frozen bottom); hybrid runs need gradients
down to the projector, so they put LoRA on every layer.
"""

import argparse
import glob
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from training import data, prompts, stats
from training.base_model import BaseModelError, load as load_base
from training.hybrid import HybridLM, Projector, add_slot_tokens
from training.llara import autocast_for, curriculum_is_hybrid, load_sasrec, lr_at, replace_folder

# -----------------------------------------------------------------------------
dataset = "lastfm"
base = "models/base/SmolLM2-135M-Instruct"
sasrec_ckpt = None  # default: training/runs/sasrec-<dataset>/model.pt
train_samples = 4000  # rows drawn (fixed seed) from the training set; 0 = all
epochs = 1
micro_batch = 4
grad_accum = 4  # effective batch 16
lr = 5e-4
fusion_lr = 1e-2  # a, b, β: three scalars, they may move faster than the adapters
lora_r, lora_alpha, lora_dropout = 8, 16, 0.05
lora_targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
lora_layers = 8  # text-only: LoRA on the top 8 layers
hybrid = "off"  # off (text-only) | curriculum (LLaRA: text → hybrid over the run) | on
head = "labels"  # labels: the 20 label logits at the answer position | items: one score read at each candidate's end
order = "shuffled"  # candidate order in the prompt: shuffled (the dataset's) | retriever (recommender's, best first)
title_tokens = 20  # a title is cut to this many tokens: 95 % of goodbooks titles (p95 19), all but 1 % elsewhere
with_creator = True  # "title — author" where the dataset has creators (goodbooks): same author is a signal SASRec lacks
beta_init = 0.5
aux_weight = 0.0  # + aux_weight · cross-entropy of the LLM's scores alone: a direct signal while β is small
keep_lm = 0.0  # + keep_lm · KL(base ‖ adapted) of next-token distributions at sampled prompt positions:
# the same merged weights write the explanations, and a ranking-only LoRA makes free text degenerate
keep_lm_positions = 32  # positions per batch where that KL is taken
request_share = 0.0  # share of training rows given a synthesized request line (training/requests.py)
catalog = None  # books.csv with genres for the request lines (goodbooks: demo/goodbooks)
eval_every = 1000  # samples between learning-curve evaluations on val, and one at the end (0 = none at all:
# an update's short run is scored on val by the LSAT sweep anyway)
save_every = 25  # optimizer steps
seed = 0
threads = 2
device = "cpu"
out_dir = "training/runs"
# -----------------------------------------------------------------------------

LABELS = [chr(ord("A") + i) for i in range(data.num_candidates)]
SCORE_TOKEN = " yes"  # head "items": its logit at a candidate's last token is that candidate's score
NOUNS = {"movie": ("movies", "movie"), "artist": ("music artists", "artist"), "book": ("books", "book")}


# --- the prompt ------------------------------------------------------------------

class RankPrompt:
    """Builds the ranking prompt's token ids from text segments, each tokenized on its own and
    concatenated: the runtime does exactly the same from the segments written into manifest.json."""

    def __init__(self, tokenizer, domain: str, title_tokens: int = title_tokens):
        self.tok, self.title_tokens = tokenizer, title_tokens
        items, item = NOUNS[domain]
        # The chat template around the user's text: everything before and after a marker.
        marker = "\x00"
        before, after = prompts.chat_prefix(tokenizer, marker).split(marker)
        self.segments = {
            "head": before + f"This user's {items}, oldest first:",
            "history_item": "\n{n}.",  # n = 1, 2, ...; then " " + title, cut to title_tokens; then the slot
            "candidates_head": "\nCandidates:",
            # The label comes AFTER the candidate's text: under causal attention the label token can
            # read its title, so the answer position only has to find the best label (one hop), not
            # a title and then the label written before it.
            "candidate_item": "\n",
            "candidate_label": " ({label})",
            "title_prefix": " ",
            "creator_prefix": " — ",  # after the (cut) title, when the item has a creator: " — Ursula K. Le Guin"
            "request_head": "\nRequest: ",  # then the request text, when there is one
            "tail": f"\nWhich {item} comes next? Answer with its letter." + after,
        }
        self.label_ids = label_token_ids(tokenizer)
        self.slot = {name: tokenizer.convert_tokens_to_ids(name) for name in prompts.SPECIAL_TOKENS}

    @property
    def score_id(self) -> int:
        """Head "items": the token whose logit is a candidate's score."""
        score = self.tok(SCORE_TOKEN, add_special_tokens=False)["input_ids"]
        if len(score) != 1:
            raise ValueError(f"score token {SCORE_TOKEN!r} is not a single token in this tokenizer ({score})")
        return score[0]

    def enc(self, text: str) -> list[int]:
        return self.tok(text, add_special_tokens=False)["input_ids"]

    def title(self, item) -> list[int]:
        """An item's text: its title cut to title_tokens tokens, then its creator (a separate segment) if any."""
        title, creator = item if isinstance(item, tuple) else (item, None)
        ids = self.enc(self.segments["title_prefix"] + title)[: self.title_tokens]
        return ids + self.enc(self.segments["creator_prefix"] + creator) if creator else ids

    def encode(self, history_titles, candidate_titles, hybrid: bool, request: str | None = None,
               history_items=None, candidate_items=None, request_first: bool = False):
        """(input_ids, slot_items, item_ends): slot_items[t] = the item row whose vector replaces token t,
        else 0; item_ends[i] = the position of candidate i's last token (its closing label).
        request_first puts the request line before the candidates, where each candidate can read it."""
        seg = self.segments
        ids = self.enc(seg["head"])
        slots = [0] * len(ids)

        def add(tokens, slot_token=None, item=0):
            ids.extend(tokens)
            slots.extend([0] * len(tokens))
            if hybrid and item:
                ids.append(self.slot[slot_token])
                slots.append(item)

        for i, t in enumerate(history_titles):
            add(self.enc(seg["history_item"].format(n=i + 1)) + self.title(t), prompts.HISTORY_SLOT,
                history_items[i] if history_items else 0)
        if request and request_first:
            add(self.enc(seg["request_head"] + request))
        add(self.enc(seg["candidates_head"]))
        item_ends = []
        for i, t in enumerate(candidate_titles):
            add(self.enc(seg["candidate_item"]) + self.title(t), prompts.CANDIDATE_SLOT,
                candidate_items[i] if candidate_items else 0)
            add(self.enc(seg["candidate_label"].format(label=LABELS[i])))
            item_ends.append(len(ids) - 1)
        if request and not request_first:
            add(self.enc(seg["request_head"] + request))
        add(self.enc(seg["tail"]))
        return ids, slots, item_ends


def label_token_ids(tokenizer) -> list[int]:
    """The 20 labels' token ids; each label must be exactly one token, alone and where the list shows it."""
    out = []
    for c in LABELS:
        alone = tokenizer(c, add_special_tokens=False)["input_ids"]
        listed = tokenizer(f" ({c})", add_special_tokens=False)["input_ids"]
        if len(alone) != 1 or alone[0] not in listed:
            raise ValueError(f"label {c!r} is not a single token in this tokenizer ({alone}, in a list {listed})")
        out.append(alone[0])
    return out


# --- the recommender's side of the score -------------------------------------------

class Recommender:
    """SASRec logits and log-popularity for candidates, and the fitted mix a·SASRec + b·log(1+pop).

    Cross-fitted: SASRec scores its own training rows almost perfectly (HR@1 0.95 on LastFM's
    training rows, 0.34 on val), so a ranker trained on those scores would learn that the
    recommender is always right. Each training row is therefore scored by a SASRec trained without
    that row's fold of users (`python -m training.sasrec --fold K/N`); val and test rows by the full
    model, as in serving."""

    def __init__(self, sasrec, train_rows, num_items, fold_models=None):
        self.full = sasrec.eval()
        self.fold_models = [m.eval() for m in fold_models or []]
        self.fold_of = {}
        if self.fold_models:
            self.fold_of = {id(r): f for r, f in zip(train_rows, data.training_folds(train_rows, len(self.fold_models)))}
        self.counts = torch.zeros(num_items + 1)
        for r in train_rows:
            for i in r.history + [r.target]:
                self.counts[i] += 1
        self.log_pop = torch.log1p(self.counts)

    def model_for(self, row):
        f = self.fold_of.get(id(row))
        return self.full if f is None else self.fold_models[f]

    @torch.no_grad()
    def features(self, rows):
        """[N, 20, 2]: SASRec logit and log(1 + training count) for each candidate."""
        from training.sasrec import left_pad
        out = torch.zeros(len(rows), data.num_candidates, 2)
        groups = {}
        for k, r in enumerate(rows):
            groups.setdefault(id(self.model_for(r)), (self.model_for(r), []))[1].append(k)
        for model, idx in groups.values():
            for i in range(0, len(idx), 512):
                chunk = idx[i:i + 512]
                seq = left_pad([rows[k].history for k in chunk], model.max_len)
                cands = torch.tensor([rows[k].candidates for k in chunk])
                out[chunk, :, 0] = model.predict(seq, cands)
                out[chunk, :, 1] = self.log_pop[cands]
        return out


def fit_mix(features, targets, steps=300, start=None, prior=0.0):
    """Weights w maximising the likelihood of the true candidate under softmax(features @ w): (a, b) for
    features [N, 20, 2] (sasrec, log-pop); with an LLM channel too, (a, b, β). prior > 0 adds
    prior · ‖w − start‖², for few rows (or rows the channels separate perfectly)."""
    start = torch.zeros(features.shape[-1]) if start is None else start.detach().float()
    w = start.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([w], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(features @ w, targets) + prior * (w - start).pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach()


class FusedRanker(nn.Module):
    """fused_i = a·sasrec_i + b·logpop_i + β·llm_i; the LLM's 20 scores come from one forward pass:
    head "labels" reads the 20 label logits at the answer position; head "items" reads one token's
    logit (score_id) at each candidate's last token, where the candidate has just read the history
    (and a request placed before the list) — one attention hop instead of label → answer's two."""

    def __init__(self, hybrid_lm, label_ids, mix, beta=beta_init, head="labels", score_id=None):
        super().__init__()
        self.lm, self.head, self.score_id = hybrid_lm, head, score_id
        self.register_buffer("label_ids", torch.tensor(label_ids), persistent=False)
        self.mix = nn.Parameter(mix.clone().float())
        self.beta = nn.Parameter(torch.tensor(float(beta)))

    def forward_at(self, batch, dev, positions):
        """Logits [B, len(positions), V] at the given (sorted, unique) positions of the padded batch."""
        return self.lm(batch["input_ids"].to(dev), batch["rec_embeds"].to(dev), batch["rec_mask"].to(dev),
                       attention_mask=batch["attention_mask"].to(dev), position_ids=batch["position_ids"].to(dev),
                       logits_to_keep=positions.to(dev)).logits

    def llm_scores(self, batch, dev, anchors=None):
        """[B, 20] in prompt order. Prompts are left-padded, so the answer position is -1 in every row.
        With `anchors` (positions), also the full logits there: (scores, anchor logits)."""
        ends = batch["item_ends"]  # [B, 20] positions in the padded batch
        T = batch["input_ids"].shape[1]
        keep = torch.tensor([T - 1]) if self.head == "labels" else ends.unique()
        if anchors is not None:
            keep = torch.cat([keep, anchors]).unique()
        logits = self.forward_at(batch, dev, keep)
        column = lambda pos: torch.searchsorted(keep, pos).to(dev)  # a position's column among the kept ones
        if self.head == "labels":
            scores = logits[:, column(torch.tensor(T - 1))].float()[:, self.label_ids]
        else:
            scores = logits[:, :, self.score_id].float().gather(1, column(ends))
        return scores if anchors is None else (scores, logits[:, column(anchors)].float())

    def base_logits(self, batch, dev, anchors):
        """The base model's logits at `anchors`, adapters off: what keep-lm holds the adapted model to."""
        with torch.no_grad(), self.lm.llm.disable_adapter():
            return self.forward_at(batch, dev, anchors).float()

    def fuse(self, llm, features):
        return features @ self.mix + self.beta * llm


def lm_anchors(attention_mask, k, rng):
    """k positions (sorted) where every row of the left-padded batch has a real token."""
    T, shortest = attention_mask.shape[1], int(attention_mask.sum(1).min())
    return torch.tensor(sorted(rng.sample(range(T - shortest, T), min(k, shortest))))


def lm_drift(base_logits, adapted_logits):
    """KL(base ‖ adapted) per position, averaged: how far the adapters moved the next-token distribution."""
    base, adapted = F.log_softmax(base_logits, -1), F.log_softmax(adapted_logits, -1)
    return F.kl_div(adapted, base, log_target=True, reduction="none").sum(-1).mean()


# --- data for one step ------------------------------------------------------------

def prompt_rows(rows, features, mix, how):
    """Candidate order per row: the dataset's shuffle, or the recommender's (best first)."""
    if how == "shuffled":
        return [list(range(len(r.candidates))) for r in rows]
    scores = features @ mix.detach().cpu()
    return scores.argsort(1, descending=True).tolist()


def collate(encoded, item_table, pad_id):
    T = max(len(ids) for ids, _, _ in encoded)
    B = len(encoded)
    ids = torch.full((B, T), pad_id, dtype=torch.long)
    attn = torch.zeros(B, T, dtype=torch.long)
    slots = torch.zeros(B, T, dtype=torch.long)
    ends = torch.zeros(B, data.num_candidates, dtype=torch.long)
    for b, (x, s, e) in enumerate(encoded):
        ids[b, T - len(x):] = torch.tensor(x)
        attn[b, T - len(x):] = 1
        slots[b, T - len(x):] = torch.tensor(s)
        ends[b] = torch.tensor(e) + (T - len(x))
    pos = (attn.cumsum(1) - 1).clamp(min=0)
    return {"input_ids": ids, "attention_mask": attn, "position_ids": pos, "rec_embeds": item_table[slots],
            "rec_mask": slots != 0, "item_ends": ends}


def make_batch(prompt, texts, rows, perms, item_table, hybrid_prompt, requests=None, request_first=False):
    encoded = []
    for k, (r, perm) in enumerate(zip(rows, perms)):
        cands = [r.candidates[j] for j in perm]
        encoded.append(prompt.encode([texts[i] for i in r.history], [texts[c] for c in cands], hybrid_prompt,
                                     requests[k] if requests else None, r.history, cands, request_first))
    return collate(encoded, item_table, prompt.tok.pad_token_id)


# --- model ------------------------------------------------------------------------

def build(base_dir, rec_dim, dev, hybrid_mode, layers, lora=None):
    """lora: a run's info["lora"] (r, alpha, dropout, targets), when it differs from this file's settings:
    a combined run (training/lsat.py) carries a rank r_long + r_short adapter."""
    from peft import LoraConfig, get_peft_model
    lora = {"r": lora_r, "alpha": lora_alpha, "dropout": lora_dropout, "targets": lora_targets, **(lora or {})}
    llm, tok = load_base(base_dir)
    add_slot_tokens(llm, tok)
    n = llm.config.num_hidden_layers
    # Text-only: only the top layers adapt, so backward stops there. Hybrid: the projector sits under
    # layer 0, so every layer carries LoRA (gradients pass through all of them anyway).
    top = list(range(n - layers, n)) if hybrid_mode == "off" else list(range(n))
    llm = get_peft_model(llm, LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                                         target_modules=list(lora["targets"]), layers_to_transform=top, task_type="CAUSAL_LM"))
    model = HybridLM(llm, Projector(rec_dim, llm.config.hidden_size))
    if hybrid_mode == "off":
        model.projector.requires_grad_(False)
    return model.to(dev), tok


def save_checkpoint(run, ranker, opt, step, total, rng, curve):
    ck, tmp = os.path.join(run, "checkpoint"), os.path.join(run, "checkpoint.tmp")
    os.makedirs(tmp, exist_ok=True)
    ranker.lm.llm.save_pretrained(tmp, save_embedding_layers=False)
    torch.save({"projector": ranker.lm.projector.state_dict(), "mix": ranker.mix.data, "beta": ranker.beta.data,
                "opt": opt.state_dict() if opt else None, "step": step, "total": total,
                "rng": rng.getstate() if rng else None, "torch_rng": torch.get_rng_state(), "curve": curve},
               os.path.join(tmp, "state.pt"))
    replace_folder(tmp, ck)


def load_checkpoint(run, ranker, opt=None):
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file
    ck = os.path.join(run, "checkpoint")
    if not os.path.isdir(ck):
        return None
    set_peft_model_state_dict(ranker.lm.llm, load_file(os.path.join(ck, "adapter_model.safetensors")))
    st = torch.load(os.path.join(ck, "state.pt"), weights_only=False)
    ranker.lm.projector.load_state_dict(st["projector"])
    ranker.mix.data.copy_(st["mix"])
    ranker.beta.data.copy_(st["beta"])
    if opt is not None and st.get("opt") is not None:
        opt.load_state_dict(st["opt"])
    return st


def init_from(run, ranker):
    """Start a fresh run from another run's weights (adapter, projector, mix, β): fine-tuning on new rows, or
    LSAT's short-term adapter started from the long-term one (training/lsat.py). Its LoRA must fit this one:
    the same rank, alpha and modules, its layers among this run's."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file
    with open(os.path.join(run, "info.json")) as f:
        lora = json.load(f)["lora"]
    cfg = ranker.lm.llm.peft_config["default"]
    if (lora["r"], lora["alpha"], sorted(lora["targets"])) != (cfg.r, cfg.lora_alpha, sorted(cfg.target_modules)):
        raise ValueError(f"--init-from {run}: its LoRA (r {lora['r']}, alpha {lora['alpha']}, {lora['targets']}) "
                         f"differs from this run's (r {cfg.r}, alpha {cfg.lora_alpha}, {sorted(cfg.target_modules)})")
    res = set_peft_model_state_dict(ranker.lm.llm, load_file(os.path.join(run, "checkpoint", "adapter_model.safetensors")))
    if res.unexpected_keys:
        raise ValueError(f"--init-from {run}: its LoRA has layers this run does not adapt ({res.unexpected_keys[0]}): "
                         "give this run at least as many --lora-layers")
    st = torch.load(os.path.join(run, "checkpoint", "state.pt"), weights_only=False, map_location="cpu")
    ranker.lm.projector.load_state_dict(st["projector"])
    ranker.mix.data.copy_(st["mix"])
    ranker.beta.data.copy_(st["beta"])


def rows_from_file(path, ds, recommender):
    """Training rows from a file (data.load_rows: e.g. the newest period's only). A row that is also one of the
    dataset's training rows keeps its cross-fitting fold; any other is scored by the full SASRec, which cannot
    have trained on it."""
    rows = data.load_rows(path, ds, "train-rows")
    fold = {(tuple(r.history), r.target): recommender.fold_of[id(r)] for r in ds.train if id(r) in recommender.fold_of}
    for r in rows:
        if (tuple(r.history), r.target) in fold:
            recommender.fold_of[id(r)] = fold[(tuple(r.history), r.target)]
    return rows


# --- evaluation -----------------------------------------------------------------------

@torch.no_grad()
def score_rows(ranker, prompt, ds, rows, features, item_table, dev, autocast, how, hybrid_prompt, batch_size=8,
               desc="score", requests=None):
    """Per row, in the dataset's candidate order: the LLM's 20 label logits [N, 20]."""
    ranker.eval()
    perms = prompt_rows(rows, features, ranker.mix.data, how)
    out = torch.zeros(len(rows), data.num_candidates)
    # Similar lengths together: less padding per batch.
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].history))
    for s in tqdm(range(0, len(rows), batch_size), desc=desc, unit="batch", leave=False):
        idx = order[s:s + batch_size]
        batch = make_batch(prompt, ds.texts, [rows[i] for i in idx], [perms[i] for i in idx], item_table, hybrid_prompt,
                           [requests[i] for i in idx] if requests else None, ranker.head == "items")
        with autocast():
            llm = ranker.llm_scores(batch, dev).cpu()
        for k, i in enumerate(idx):
            out[i, perms[i]] = llm[k]  # back to the dataset's order
    return out


def hits_of(scores, rows):
    """Per row: is the top-scored candidate the target?"""
    best = scores.argmax(1).tolist()
    return [r.candidates[b] == r.target for r, b in zip(rows, best)]


def beta_on(features, llm, rows, mix):
    """The β that fits these rows best (cross-entropy of the fused scores over a grid of 0 … 3): chosen on val,
    then applied to test, as the issue allows ("β learned or chosen on validation")."""
    targets = torch.tensor([r.candidates.index(r.target) for r in rows])
    grid = torch.arange(0, 3.001, 0.01)
    losses = [F.cross_entropy(features @ mix + b * llm, targets).item() for b in grid]
    return float(grid[int(torch.tensor(losses).argmin())])


def report(ranker, features, llm, rows, rules=None, val_beta=None):
    """HR@1 (all rows) of every ranker on these rows, and the fusion's paired test against the best baseline.
    rules: [N, 20] bool, the candidates that meet the row's request (request rows): adds SASRec + rules.
    val_beta: also the fusion with β chosen on val (beta_on), tested the same way."""
    targets = torch.tensor([r.candidates.index(r.target) for r in rows])
    mix, beta = ranker.mix.data.cpu(), ranker.beta.data.cpu()  # scores live on the CPU, the model may not
    rankers = {"popularity": features[..., 1], "sasrec": features[..., 0], "sasrec+pop": features @ mix,
               "llm": llm, "fusion": features @ mix + beta * llm}
    if val_beta is not None:
        rankers["fusion@val-β"] = features @ mix + val_beta * llm
    if rules is not None:  # what rule filters do: drop candidates that fail the request, SASRec orders the rest
        rankers["sasrec+rules"] = torch.where(rules, features @ mix, torch.tensor(-1e9))
    hits = {k: hits_of(v + 1e-6 * torch.rand_like(v) * (k == "popularity"), rows) for k, v in rankers.items()}
    baselines = ("popularity", "sasrec", "sasrec+pop") + (("sasrec+rules",) if rules is not None else ())
    best = max(baselines, key=lambda k: sum(hits[k]))
    res = {"rows": len(rows), "hr1": {k: sum(v) / max(1, len(v)) for k, v in hits.items()}, "strongest_baseline": best,
           "fusion_vs_strongest": stats.paired(hits["fusion"], hits[best]),
           "fusion_vs_sasrec": stats.paired(hits["fusion"], hits["sasrec"]),
           "beta": float(ranker.beta), "mix": [float(x) for x in mix],
           **({"val_beta": val_beta, "fusion@val-β_vs_strongest": stats.paired(hits["fusion@val-β"], hits[best])}
              if val_beta is not None else {}),
           "llm_mean_target_rank": float((llm > llm.gather(1, targets[:, None])).sum(1).float().mean() + 1)}
    return res, hits


# --- training -------------------------------------------------------------------------

def setup(args, dev, for_training=True):
    ds = data.load(args.dataset, args.data_dir)
    ds.texts = data.item_texts(ds, args.with_creator)  # (title, creator or None) per row
    from training import requests as req
    catalog_dir = getattr(args, "catalog", None) or (args.data_dir if args.data_dir else
                                                      "demo/goodbooks" if ds.name == "goodbooks" else None)
    ds.facts = req.catalog_facts(ds, catalog_dir) if catalog_dir else None  # genres, author, year per row
    sasrec_path = args.sasrec or os.path.join(out_dir, f"sasrec-{args.dataset}", "model.pt")
    sasrec = load_sasrec(sasrec_path)
    if sasrec.num_items != ds.num_items:
        raise data.DataError(f"SASRec has {sasrec.num_items} items, dataset {ds.name} has {ds.num_items}")
    item_table = sasrec.item_emb.weight.detach().float()
    folds = sorted(glob.glob(os.path.join(os.path.dirname(sasrec_path), "..", f"sasrec-{ds.name}-fold*of*", "model.pt")))
    if for_training and not folds:
        raise FileNotFoundError(f"no cross-fitted SASRec for {ds.name}: run python -m training.sasrec --dataset "
                                f"{ds.name} --fold 0/2, then --fold 1/2")
    recommender = Recommender(sasrec, ds.train, ds.num_items, [load_sasrec(f) for f in folds])
    lm, tok = build(args.base, item_table.shape[1], dev, args.hybrid, args.lora_layers, getattr(args, "lora", None))
    prompt = RankPrompt(tok, ds.domain, args.title_tokens)
    # The recommender's mix, fitted on a sample of training rows (seconds), before the LLM sees anything;
    # a trained run loads its own from the checkpoint.
    mix = torch.zeros(2)
    if for_training:
        fit_rows = random.Random(args.seed + 7).sample(ds.train, min(20000, len(ds.train)))
        fit_targets = torch.tensor([r.candidates.index(r.target) for r in fit_rows])
        mix = fit_mix(recommender.features(fit_rows), fit_targets)
    ranker = FusedRanker(lm, prompt.label_ids, mix, args.beta_init, args.head,
                         prompt.score_id if args.head == "items" else None).to(dev)
    return ds, recommender, item_table, ranker, prompt, tok


def evaluate_rows(args, ranker, prompt, ds, recommender, item_table, dev, autocast, rows, desc, hybrid_prompt=True,
                  requests=None, rules=None, val_beta=None, scores=None):
    """report() on these rows; `scores`, a dict, receives the features and the LLM's scores."""
    features = recommender.features(rows)
    llm = score_rows(ranker, prompt, ds, rows, features, item_table, dev, autocast, args.order, hybrid_prompt, desc=desc,
                     requests=requests)
    if scores is not None:
        scores.update(features=features, llm=llm)
    return report(ranker, features, llm, rows, rules, val_beta)


def request_split(ds, rows, facts, recommender, seed_name):
    """The request-conditioned benchmark: every row of a split with a synthesized request (fixed seed).
    (rows, request lines, rules mask [N, 20])."""
    from training import requests as req
    popular = recommender.counts[1:].argsort(descending=True).add(1).tolist()
    made = req.request_rows(rows, facts, popular, f"{data.seed}-{seed_name}", ds.num_items)
    kept = [m for m in made if m[1] is not None]
    samples = [m[0] for m in kept]
    rules = torch.tensor([[req.meets(facts[c], m[2], m[3]) for c in m[0].candidates] for m in kept])
    return samples, [m[1] for m in kept], rules


def train(args, on_step=None):
    """Train (or resume) a run; on_step(step, total) after each optimizer step (training/update.py's progress)."""
    dev = torch.device(args.device)
    torch.manual_seed(args.seed)
    ds, recommender, item_table, ranker, prompt, tok = setup(args, dev)
    run = args.run
    os.makedirs(run, exist_ok=True)
    pool = rows_from_file(args.rows, ds, recommender) if getattr(args, "rows", None) else ds.train
    rows = pool if args.train_samples == 0 else random.Random(args.seed).sample(pool, min(args.train_samples, len(pool)))
    per_step = args.micro_batch * args.grad_accum
    total = math.ceil(len(rows) * args.epochs / per_step)
    lines = [None] * len(rows)
    if args.request_share > 0:
        from training import requests as req
        if ds.facts is None:
            raise ValueError("--request-share needs catalog metadata with genres (--catalog FOLDER with books.csv)")
        popular = recommender.counts[1:].argsort(descending=True).add(1).tolist()
        made = req.request_rows(rows, ds.facts, popular, f"{args.seed}-train-requests", ds.num_items, args.request_share)
        for (new, *_), old in zip(made, rows):  # a rewritten row keeps its user's fold (cross-fitting)
            if new is not old and id(old) in recommender.fold_of:
                recommender.fold_of[id(new)] = recommender.fold_of[id(old)]
        rows, lines = [m[0] for m in made], [m[1] for m in made]
    lm_params = [p for p in ranker.lm.parameters() if p.requires_grad]
    projector_params = [p for p in ranker.lm.projector.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": lm_params, "lr": args.lr},
                             {"params": [ranker.mix, ranker.beta], "lr": args.fusion_lr, "weight_decay": 0.0}])
    rng = random.Random(args.seed + 1)
    step, curve = 0, []
    st = load_checkpoint(run, ranker, opt)
    if st is not None:
        if st["total"] != total:
            raise ValueError(f"{run}/checkpoint was made for {st['total']} steps, this run has {total}: "
                             "use the same --train-samples/--epochs/batch flags, or a new --run")
        step, curve = st["step"], st["curve"]
        rng.setstate(st["rng"])
        torch.set_rng_state(st["torch_rng"])
        print(f"resuming {run} at step {step}/{total}")
    elif getattr(args, "init_from", None):
        init_from(args.init_from, ranker)
    autocast, precision = autocast_for(args, dev)
    info = {"kind": "rank", "dataset": args.dataset, "domain": ds.domain, "base": os.path.abspath(args.base),
            "sasrec": os.path.abspath(args.sasrec or os.path.join(out_dir, f"sasrec-{args.dataset}", "model.pt")),
            "train_rows": len(rows), "epochs": args.epochs, "effective_batch": per_step, "total_steps": total,
            "lr": args.lr, "fusion_lr": args.fusion_lr, "aux_weight": args.aux_weight, "keep_lm": args.keep_lm,
            "request_share": args.request_share if ds.facts is not None else 0.0, "hybrid": args.hybrid, "head": args.head, "order": args.order,
            "title_tokens": args.title_tokens, "with_creator": args.with_creator and ds.creators is not None, "lora": {"r": lora_r, "alpha": lora_alpha, "dropout": lora_dropout,
            "targets": lora_targets, "layers": args.lora_layers if args.hybrid == "off" else "all"},
            "labels": LABELS, "device": args.device, "threads": args.threads, "autocast": precision,
            "init_from": os.path.abspath(args.init_from) if getattr(args, "init_from", None) else None,
            "rows_file": os.path.abspath(args.rows) if getattr(args, "rows", None) else None}
    with open(os.path.join(run, "info.json"), "w") as f:
        json.dump(info, f, indent=2)

    order = []
    for e in range(args.epochs):
        perm = list(range(len(rows)))
        random.Random(args.seed * 1000 + e).shuffle(perm)
        order += perm
    log = open(os.path.join(run, "train_log.jsonl"), "a")
    bar = tqdm(total=total, initial=step, desc=f"rank {ds.name}", unit="step")
    while step < total:
        ranker.train()
        hybrid_step = args.hybrid == "on" or (args.hybrid == "curriculum" and curriculum_is_hybrid(step, total, rng))
        opt.param_groups[0]["lr"] = lr_at(step, total, args.lr)
        t0, loss_sum, n = time.time(), 0.0, 0
        for m in range(args.grad_accum):
            idx = order[step * per_step + m * args.micro_batch: step * per_step + (m + 1) * args.micro_batch]
            if not idx:
                break
            chunk = [rows[i] for i in idx]
            features = recommender.features(chunk)
            perms = prompt_rows(chunk, features, ranker.mix.data, args.order)
            batch = make_batch(prompt, ds.texts, chunk, perms, item_table, hybrid_step, [lines[i] for i in idx],
                               args.head == "items")
            targets = torch.tensor([r.candidates.index(r.target) for r in chunk])
            anchors = lm_anchors(batch["attention_mask"], keep_lm_positions, rng) if args.keep_lm else None
            with autocast():
                if anchors is None:
                    llm_prompt_order = ranker.llm_scores(batch, dev)
                else:
                    llm_prompt_order, adapted = ranker.llm_scores(batch, dev, anchors)
                    base_next = ranker.base_logits(batch, dev, anchors)
            llm = torch.empty_like(llm_prompt_order)
            for k, perm in enumerate(perms):
                llm[k, perm] = llm_prompt_order[k]
            loss = F.cross_entropy(ranker.fuse(llm, features.to(dev)), targets.to(dev))
            if args.aux_weight:
                loss = loss + args.aux_weight * F.cross_entropy(llm, targets.to(dev))
            if anchors is not None:
                loss = loss + args.keep_lm * lm_drift(base_next, adapted)
            (loss * len(idx) / per_step).backward()
            loss_sum += loss.item() * len(idx)
            n += len(idx)
        if not hybrid_step:
            for p in projector_params:  # curriculum: the projector is frozen on text-only steps
                p.grad = None
        torch.nn.utils.clip_grad_norm_(lm_params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        rec = {"step": step, "samples": step * per_step, "loss": round(loss_sum / max(1, n), 4), "hybrid": hybrid_step,
               "beta": round(float(ranker.beta), 4), "samples_per_s": round(n / (time.time() - t0), 3),
               "tokens": int(batch["attention_mask"].sum())}
        log.write(json.dumps(rec) + "\n")
        log.flush()
        bar.update(1)
        bar.set_postfix(loss=rec["loss"], beta=rec["beta"], sps=rec["samples_per_s"])
        at_curve = args.eval_every and (step * per_step) // args.eval_every > ((step - 1) * per_step) // args.eval_every
        if at_curve or (step == total and args.eval_every):
            res, _ = evaluate_rows(args, ranker, prompt, ds, recommender, item_table, dev, autocast, ds.val, "val",
                                   hybrid_prompt=args.hybrid != "off")
            point = {"samples": step * per_step, **{k: round(v, 4) for k, v in res["hr1"].items()}, "beta": res["beta"]}
            curve.append(point)
            tqdm.write("curve " + json.dumps(point))
        if step % args.save_every == 0 or step == total or at_curve:
            save_checkpoint(run, ranker, opt, step, total, rng, curve)
        if on_step:
            on_step(step, total)
    bar.close()
    return run


def load_run(run, dev, data_dir=None, base_dir=None):
    """A trained run (or the demo model's packed parts), ready to score rows:
    (args, ranker, prompt, dataset, recommender, item table)."""
    from training.llara import run_paths
    if not os.path.isfile(os.path.join(run, "info.json")):
        raise FileNotFoundError(f"{run} is not a ranking run folder (no info.json)")
    with open(os.path.join(run, "info.json")) as f:
        info = json.load(f)
    layers = info["lora"]["layers"]
    base_dir, sasrec_path = run_paths(run, info, base_dir)
    args = argparse.Namespace(dataset=info["dataset"], data_dir=data_dir, base=base_dir, sasrec=sasrec_path,
                              hybrid=info["hybrid"], head=info.get("head", "labels"), order=info["order"], title_tokens=info["title_tokens"],
                              with_creator=info.get("with_creator", False), catalog=None,
                              lora_layers=lora_layers if layers == "all" else layers, beta_init=beta_init, seed=seed,
                              dtype="auto", device=dev.type, lora={k: v for k, v in info["lora"].items() if k != "layers"})
    ds, recommender, item_table, ranker, prompt, tok = setup(args, dev, for_training=False)
    if load_checkpoint(run, ranker) is None:
        raise FileNotFoundError(f"{run}/checkpoint not found")
    return args, ranker, prompt, ds, recommender, item_table


def ranking_manifest(prompt, mix, beta, order, hybrid_prompt, validation=None, requests=False, head="labels"):
    """The manifest's "ranking" section: everything the runtime needs to build the prompt and fuse the
    scores, and the held-out comparison that decides whether the app serves this ranking."""
    kind = {"labels": {"kind": "label_head", "request_first": False},
            "items": {"kind": "item_head", "score_id": prompt.score_id if head == "items" else None,
                      "request_first": True}}[head]
    return {**{k: v for k, v in kind.items() if v is not None}, "labels": LABELS, "label_ids": prompt.label_ids,
            "segments": prompt.segments,
            "title_tokens": prompt.title_tokens, "hybrid": hybrid_prompt, "candidate_order": order,
            "requests": requests,  # trained with request lines (training/requests.py's phrasings)
            "fusion": {"sasrec": float(mix[0]), "log_popularity": float(mix[1]), "beta": float(beta),
                       "formula": "score_i = sasrec * (user_state · item_embeddings[row_i]) + log_popularity * "
                                  "ln(1 + items.json popularity_i) + beta * label_logit_i"},
            "validation": validation,
            "build": "ids = head + for each history item (oldest first, n = 1..): history_item(n) + "
                     "title_prefix+title cut to title_tokens tokens [+ creator_prefix+creator] [+ history slot token when "
                     "hybrid] + candidates_head + for each candidate: candidate_item + title [+ creator] [+ candidate slot "
                     "when hybrid] + candidate_label(label) + (request_head "
                     "+ request, when there is one) + tail; every segment tokenized on its own; label_head: the label "
                     "logits are read at the last position; item_head: the request line comes before candidates_head "
                     "and score_id's logit is read at each candidate's last token (the end of its candidate_label)"}


def load_for_export(run, base_dir=None, data_dir=None):
    """(merged HybridLM, tokenizer, full SASRec, items, info, ranking) for training.export."""
    dev = torch.device("cpu")
    args, ranker, prompt, ds, recommender, item_table = load_run(run, dev, data_dir, base_dir)
    with open(os.path.join(run, "info.json")) as f:
        info = json.load(f)
    hybrid_prompt = info["hybrid"] != "off"
    ev = os.path.join(run, "eval.json")
    evaluated, validation = {}, None
    if os.path.isfile(ev):
        with open(ev) as f:
            evaluated = json.load(f)
        # The held-out figure the app gates on: val, unless val chose this run's LSAT weight and refitted its
        # fusion (training.lsat --weight auto); then test, which nothing was fitted on.
        split = "test" if (info.get("lsat") or {}).get("weight_mode") == "auto" and "test" in evaluated else "val"
        if split in evaluated:
            v = evaluated[split]
            validation = {"split": split, "rows": v["rows"], "fusion_hr1": v["hr1"]["fusion"],
                          "baseline": v["strongest_baseline"], "baseline_hr1": v["hr1"][v["strongest_baseline"]]}
    ranking = {"prompt": prompt, "hybrid": hybrid_prompt, "popularity": [int(c) for c in recommender.counts],
               "manifest": ranking_manifest(prompt, ranker.mix.data, ranker.beta.data, info["order"], hybrid_prompt, validation,
                                            info.get("request_share", 0.0) > 0, info.get("head", "labels"))}
    hybrid = ranker.lm
    hybrid.llm = hybrid.llm.merge_and_unload()
    metrics = [{"dataset": info["dataset"], "split": split, "rows": r["rows"], "hr1": r["hr1"],
                "strongest_baseline": r["strongest_baseline"], "fusion_vs_strongest": r["fusion_vs_strongest"],
                "date": time.strftime("%Y-%m-%d", time.gmtime(os.path.getmtime(ev)))} for split, r in evaluated.items()]
    items = list(zip(ds.ext_ids[1:], ds.titles[1:]))
    # The creator the prompt shows after each title, where the run used creators.
    ranking["creators"] = [c for _, c in ds.texts] if any(c for _, c in ds.texts) else None
    base_dir = args.base
    base = {"name": os.path.basename(os.path.normpath(base_dir)), "license": "Apache-2.0", "path": base_dir}
    return hybrid.eval(), prompt.tok, recommender.full, items, {"domain": ds.domain, "base": base, "metrics": metrics}, ranking


def score_run(run, rows, dev, data_dir=None):
    """Per-row hits of the LLM alone, the recommender's mix and the fusion, on any rows of the run's dataset."""
    args, ranker, prompt, ds, recommender, item_table = load_run(run, dev, data_dir)
    autocast, _ = autocast_for(args, dev)
    res, hits = evaluate_rows(args, ranker, prompt, ds, recommender, item_table, dev, autocast, rows, "rank",
                              hybrid_prompt=args.hybrid != "off")
    return res, {"sasrec+pop (fitted mix)": hits["sasrec+pop"], "LLM alone (label head)": hits["llm"],
                 "fusion (SASRec + pop + β·LLM)": hits["fusion"]}


def run_eval(args):
    """Every ranker on every split of the run's dataset, all rows, with the paired tests."""
    dev = torch.device(args.device)
    rargs, ranker, prompt, ds, recommender, item_table = load_run(args.run, dev, args.data_dir)
    autocast, _ = autocast_for(rargs, dev)
    results, val_beta = {}, None
    for split in args.splits.split(","):
        if not getattr(ds, split):
            continue
        t0 = time.time()
        scores = {}
        res, hits = evaluate_rows(rargs, ranker, prompt, ds, recommender, item_table, dev, autocast, getattr(ds, split),
                                  split, hybrid_prompt=rargs.hybrid != "off", val_beta=val_beta, scores=scores)
        if split == "val":  # β chosen on val, for the splits after it
            val_beta = beta_on(scores["features"], scores["llm"], ds.val, ranker.mix.data.cpu())
        res["seconds"] = round(time.time() - t0, 1)
        res["hits"] = {k: [int(h) for h in v] for k, v in hits.items()}
        results[split] = res
        print(split, json.dumps({k: v for k, v in res.items() if k != "hits"}))
        if ds.facts is not None:  # the request-conditioned benchmark on the same users
            rows, lines, rules = request_split(ds, getattr(ds, split), ds.facts, recommender, split)
            res, hits = evaluate_rows(rargs, ranker, prompt, ds, recommender, item_table, dev, autocast, rows,
                                      f"{split}+request", rargs.hybrid != "off", lines, rules, val_beta if split != "val" else None)
            res["fusion_vs_rules"] = stats.paired(hits["fusion"], hits["sasrec+rules"])
            res["hits"] = {k: [int(h) for h in v] for k, v in hits.items()}
            results[f"{split}+request"] = res
            print(f"{split}+request", json.dumps({k: v for k, v in res.items() if k != "hits"}))
    with open(os.path.join(args.run, "eval.json"), "w") as f:
        json.dump(results, f, indent=1)
    return results


def explanation_drift(run, dev, items=40, new_tokens=40):
    """How far a run's adapters move free generation: the merged weights also write the app's
    explanations. For `items` catalog items, the app's kind of explanation prompt; the base model's
    greedy explanation, and on those tokens KL(base ‖ adapted) per token (teacher-forced); and how
    often each model's own greedy text repeats a 4-gram (the degeneration a ranking-only LoRA shows)."""
    _, ranker, prompt, ds, _, _ = load_run(run, dev)
    tok, llm = prompt.tok, ranker.lm.llm
    plural, singular = NOUNS[ds.domain]
    kls, repeats = [], {"base": 0, "adapted": 0}

    def repeats_a_4gram(ids):
        grams = [tuple(ids[k:k + 4]) for k in range(len(ids) - 3)]
        return len(grams) != len(set(grams))

    for i in random.Random(0).sample(range(1, ds.num_items + 1), items):
        title, creator = ds.texts[i] if isinstance(ds.texts[i], tuple) else (ds.texts[i], None)
        by = f" (by {creator})" if creator else ""
        messages = [{"role": "system", "content": f"You are a friendly {singular} recommender. Be specific and brief."},
                    {"role": "user", "content": f'A reader asked for {plural}: "something good". In one or two sentences, '
                                                f'tell them why they may enjoy "{title}"{by}.'}]
        ids = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"].to(dev)
        n = ids.shape[1]
        with torch.no_grad():
            with llm.disable_adapter():
                base_text = llm.generate(ids, max_new_tokens=new_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
                base_logits = llm(base_text).logits[0, n - 1:-1].float()
            adapted_logits = llm(base_text).logits[0, n - 1:-1].float()
            own = llm.generate(ids, max_new_tokens=new_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
        kls.append(float(lm_drift(base_logits, adapted_logits)))
        repeats["base"] += repeats_a_4gram(base_text[0, n:].tolist())
        repeats["adapted"] += repeats_a_4gram(own[0, n:].tolist())
    result = {"items": items, "new_tokens": new_tokens, "kl_per_token": round(sum(kls) / len(kls), 4),
              "repeats_4gram": {k: round(v / items, 3) for k, v in repeats.items()}}
    with open(os.path.join(run, "drift.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=dataset)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--base", default=base, help="local HF Llama-family folder")
    ap.add_argument("--sasrec", default=sasrec_ckpt)
    ap.add_argument("--run", default=None, help="run folder (default training/runs/rank-<dataset>)")
    ap.add_argument("--train-samples", type=int, default=train_samples)
    ap.add_argument("--rows", default=None, help="train on these rows instead of the dataset's training split (its "
                    "layout: LLaRA's jsonl, as data convert writes; e.g. only the newest period's rows)")
    ap.add_argument("--init-from", default=None, metavar="RUN", help="a fresh run starts from RUN's weights "
                    "(adapter, projector, mix, β) instead of a zero LoRA")
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--micro-batch", type=int, default=micro_batch)
    ap.add_argument("--grad-accum", type=int, default=grad_accum)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--fusion-lr", type=float, default=fusion_lr)
    ap.add_argument("--lora-layers", type=int, default=lora_layers)
    ap.add_argument("--hybrid", default=hybrid, choices=["off", "curriculum", "on"])
    ap.add_argument("--head", default=head, choices=["labels", "items"])
    ap.add_argument("--order", default=order, choices=["shuffled", "retriever"])
    ap.add_argument("--title-tokens", type=int, default=title_tokens)
    ap.add_argument("--no-creator", dest="with_creator", action="store_false", help="titles only, even where the dataset has creators")
    ap.add_argument("--beta-init", type=float, default=beta_init)
    ap.add_argument("--aux-weight", type=float, default=aux_weight)
    ap.add_argument("--keep-lm", type=float, default=keep_lm, help="weight of KL(base ‖ adapted) at sampled prompt positions")
    ap.add_argument("--request-share", type=float, default=request_share)
    ap.add_argument("--catalog", default=catalog, help="a catalog folder whose books.csv has genres (request lines)")
    ap.add_argument("--eval-every", type=int, default=eval_every)
    ap.add_argument("--save-every", type=int, default=save_every)
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--threads", type=int, default=threads)
    ap.add_argument("--device", default=device, choices=["cpu", "cuda"])
    ap.add_argument("--dtype", default="auto", choices=["auto", "bf16", "fp32"])
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--drift-only", action="store_true", help="measure how far the adapters move free generation (explanations)")
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--splits", default="val,test")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    args.run = args.run or os.path.join(out_dir, f"rank-{args.dataset}")
    try:
        if args.drift_only:
            print("drift", json.dumps(explanation_drift(args.run, torch.device(args.device))))
            return
        if not args.eval_only:
            train(args)
        if not args.no_eval:
            run_eval(args)
    except (data.DataError, BaseModelError, FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
