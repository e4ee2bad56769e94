"""
LLaRA (Liao et al., 2024): teach an LLM to recommend from hybrid prompts, by curriculum prompt tuning.

    python -m training.llara --dataset movielens --train-samples 2000       # CPU, 1 thread, resumable
    python -m training.llara --dataset movielens --device cuda --train-samples 0 --epochs 5  # all rows, GPU
    python -m training.llara --eval-only --run training/runs/llara-movielens              # evaluate a run

What it does, as LLaRA's code does (scaled to a small backbone):
- Item vectors: the frozen SASRec's raw item embeddings (training/sasrec.py, 64-d).
- Projector: Linear(64 -> hidden), GELU, Linear(hidden -> hidden) (training/hybrid.py).
- LoRA r 8, alpha 32, dropout 0.1 on q/k/v/o/gate/up/down (peft); the base weights stay frozen.
- Curriculum: each optimizer step draws u ~ U(0,1) and uses hybrid prompts when u < step / total
  steps of the whole run (not per epoch), text-only prompts ([PH] slots) otherwise. On text-only
  steps the projector gets no update at all (its grads are dropped, so Adam's moments do not move
  it either). Evaluation always uses hybrid prompts.
- One of 3 prompt templates per step; loss on the answer tokens only (title + end of turn).
- AdamW, cosine schedule with linear warm-up over the first 1/20 of steps; bf16 autocast where the
  hardware has bf16 (GPU, AVX512-BF16/AMX CPU), fp32 otherwise (--dtype).
- Checkpoints (LoRA, projector, optimizer, schedule, step, RNG) every --save-every steps; a rerun
  with the same --run resumes from the last one.
- Evaluation: free greedy generation (valid = exactly one candidate title occurs in the output,
  lower-cased substring; HR@1 over valid rows as LLaRA's code, and over all rows) and constrained
  decoding (the candidate with the highest sequence log-probability; ValidRatio 1.0 by construction).
"""

import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from training import data, prompts
from training.evaluate import is_valid_and_hit, metrics_of
from training.base_model import BaseModelError, load as load_base
from training.hybrid import HybridLM, Projector, add_slot_tokens

# -----------------------------------------------------------------------------
dataset = "movielens"
base = "models/base/SmolLM2-135M-Instruct"
sasrec_ckpt = None  # default: training/runs/sasrec-<dataset>/model.pt
train_samples = 2000  # rows drawn (fixed seed) from the training set; 0 = all. CPU: ~0.6 samples/s
epochs = 1
micro_batch = 4
grad_accum = 4  # effective batch = micro_batch * grad_accum (LLaRA: 128 on GPUs)
lr = 5e-4
warmup_fraction = 1 / 20
weight_decay = 0.0
lora_r, lora_alpha, lora_dropout = 8, 32, 0.1
lora_targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
save_every = 25  # optimizer steps
eval_rows = 0  # 0 = the whole val/test split
max_new_tokens = 48
seed = 0
threads = 1
device = "cpu"
out_dir = "training/runs"
# -----------------------------------------------------------------------------


def fast_bf16(dev) -> bool:
    """bf16 autocast pays off on GPUs and on CPUs with bf16 instructions (AVX512-BF16 / AMX: ~4x fp32).
    Without them (e.g. AVX2-only EPYC) PyTorch emulates it and a step is ~5x SLOWER than fp32."""
    if dev.type == "cuda":
        return True
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_for(args, dev):
    use = args.dtype == "bf16" or (args.dtype == "auto" and fast_bf16(dev))
    return lambda: torch.autocast(dev.type, dtype=torch.bfloat16, enabled=use), ("bf16" if use else "fp32")


def curriculum_is_hybrid(step: int, total: int, rng: random.Random) -> bool:
    """LLaRA's schedule: hybrid with probability step / total, over the whole run."""
    return rng.random() < step / max(1, total)


def lr_at(step: int, total: int, peak: float, warmup: float = warmup_fraction) -> float:
    """Linear warm-up to peak over the first warmup * total steps, then cosine down to 0."""
    w = max(1, int(total * warmup))
    if step < w:
        return peak * (step + 1) / w
    return peak * 0.5 * (1 + math.cos(math.pi * (step - w) / max(1, total - w)))


# --- batches -------------------------------------------------------------------

def collate(encs, item_table, pad_id, with_answer):
    """Left-pad a list of prompts. Answers end every row, so the last positions hold all answer tokens
    and logits_to_keep can skip the rest."""
    T = max(len(e.input_ids) for e in encs)
    B, D = len(encs), item_table.shape[1]
    ids = torch.full((B, T), pad_id, dtype=torch.long)
    attn = torch.zeros(B, T, dtype=torch.long)
    slots = torch.zeros(B, T, dtype=torch.long)
    labels = torch.full((B, T), -100, dtype=torch.long)
    for b, e in enumerate(encs):
        n = len(e.input_ids)
        ids[b, T - n:] = torch.tensor(e.input_ids)
        attn[b, T - n:] = 1
        slots[b, T - n:] = torch.tensor(e.slot_items)
        if with_answer:
            labels[b, T - n + e.answer_start:] = torch.tensor(e.input_ids[e.answer_start:])
    pos = (attn.cumsum(1) - 1).clamp(min=0)
    rec = item_table[slots]
    return {"input_ids": ids, "attention_mask": attn, "position_ids": pos, "rec_embeds": rec,
            "rec_mask": slots != 0, "labels": labels}


def answer_loss(model, batch, dev):
    """Cross-entropy on answer tokens only; logits only for the answer positions (logits_to_keep)."""
    labels = batch["labels"]
    has = (labels != -100).any(0).nonzero()
    keep = labels.shape[1] - int(has[0]) + 1  # the first answer token is predicted one position earlier
    out = model(batch["input_ids"].to(dev), batch["rec_embeds"].to(dev), batch["rec_mask"].to(dev),
                attention_mask=batch["attention_mask"].to(dev), position_ids=batch["position_ids"].to(dev),
                logits_to_keep=keep)
    logits = out.logits[:, :-1].float()
    target = labels[:, -(keep - 1):].to(dev)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100)


# --- model ---------------------------------------------------------------------

def build(base_dir, item_table_dim, dev, lora=True):
    from peft import LoraConfig, get_peft_model
    llm, tok = load_base(base_dir)
    add_slot_tokens(llm, tok)
    if lora:
        llm = get_peft_model(llm, LoraConfig(r=lora_r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
                                             target_modules=lora_targets, task_type="CAUSAL_LM"))
    model = HybridLM(llm, Projector(item_table_dim, llm.config.hidden_size)).to(dev)
    return model, tok


def load_sasrec(path):
    from training.sasrec import load_checkpoint
    if not os.path.isfile(path):
        raise FileNotFoundError(f"SASRec checkpoint not found: {path} (run python -m training.sasrec first)")
    return load_checkpoint(path)


def save_checkpoint(run, model, opt, step, rng, total):
    ck = os.path.join(run, "checkpoint")
    tmp = ck + ".tmp"
    os.makedirs(tmp, exist_ok=True)
    # The resized embedding is rebuilt identically at load (add_slot_tokens), so keep only LoRA weights.
    model.llm.save_pretrained(tmp, save_embedding_layers=False)
    torch.save({"projector": model.projector.state_dict(), "opt": opt.state_dict(), "step": step, "total": total,
                "rng": rng.getstate(), "torch_rng": torch.get_rng_state()}, os.path.join(tmp, "state.pt"))
    replace_folder(tmp, ck)


def replace_folder(new, dst):
    """Swap a freshly written folder in atomically-ish: a crash mid-save leaves the previous one intact."""
    import shutil
    if os.path.isdir(dst):
        os.rename(dst, dst + ".old")
    os.rename(new, dst)
    shutil.rmtree(dst + ".old", ignore_errors=True)


def load_checkpoint_into(run, model, opt=None):
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file
    ck = os.path.join(run, "checkpoint")
    if not os.path.isdir(ck):
        return None
    set_peft_model_state_dict(model.llm, load_file(os.path.join(ck, "adapter_model.safetensors")))
    if opt is None and os.path.isfile(os.path.join(ck, "projector.safetensors")):
        # A packed run (training.demo_model pack): trained weights only, no optimizer state.
        model.projector.load_state_dict(load_file(os.path.join(ck, "projector.safetensors")))
        return {}
    st = torch.load(os.path.join(ck, "state.pt"), weights_only=False)
    model.projector.load_state_dict(st["projector"])
    if opt is not None:
        opt.load_state_dict(st["opt"])
    return st


# --- evaluation ----------------------------------------------------------------

@torch.no_grad()
def generate(model, batch, dev, max_new, stop_ids, autocast):
    """Greedy decoding with the KV cache, batched; returns new token ids per row."""
    ids, attn, pos = batch["input_ids"].to(dev), batch["attention_mask"].to(dev), batch["position_ids"].to(dev)
    with autocast():
        out = model(ids, batch["rec_embeds"].to(dev), batch["rec_mask"].to(dev), attention_mask=attn,
                    position_ids=pos, use_cache=True, logits_to_keep=1)
    B = ids.shape[0]
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    new, cache, last_pos = [], out.past_key_values, pos[:, -1]
    nxt = out.logits[:, -1].argmax(-1)
    D = batch["rec_embeds"].shape[-1]
    for _ in range(max_new):
        new.append(nxt)
        done |= torch.isin(nxt, torch.tensor(stop_ids, device=dev))
        if done.all():
            break
        attn = torch.cat([attn, torch.ones(B, 1, dtype=attn.dtype, device=dev)], 1)
        last_pos = last_pos + 1
        with autocast():
            out = model(nxt[:, None], torch.zeros(B, 1, D, device=dev), torch.zeros(B, 1, dtype=torch.bool, device=dev),
                        attention_mask=attn, position_ids=last_pos[:, None], past_key_values=cache, use_cache=True)
        cache = out.past_key_values
        nxt = out.logits[:, -1].argmax(-1)
    toks = torch.stack(new, 1).tolist()
    res = []
    for row in toks:
        cut = next((i for i, t in enumerate(row) if t in stop_ids), len(row))
        res.append(row[:cut])
    return res


@torch.no_grad()
def score_candidates(model, tok, enc, item_table, titles, cands, dev, autocast):
    """Sum of log-probabilities of each candidate's answer (title + end of turn) after the prompt:
    prefill the prompt once, then the 20 answers as one batch on the expanded cache."""
    from transformers import DynamicCache
    batch = collate([enc], item_table, tok.pad_token_id, with_answer=False)
    with autocast():
        out = model(batch["input_ids"].to(dev), batch["rec_embeds"].to(dev), batch["rec_mask"].to(dev),
                    attention_mask=batch["attention_mask"].to(dev), use_cache=True, logits_to_keep=1)
    first = F.log_softmax(out.logits[0, -1].float(), -1)
    eot = prompts.end_of_turn(tok)
    answers = [tok(titles[c] + eot, add_special_tokens=False)["input_ids"] for c in cands]
    A = max(len(a) for a in answers)
    C, P = len(cands), batch["input_ids"].shape[1]
    ids = torch.full((C, A), tok.pad_token_id, dtype=torch.long)
    for i, a in enumerate(answers):
        ids[i, :len(a)] = torch.tensor(a)  # right-padded: padding only follows the answer, never read
    cache = DynamicCache(config=model.llm.config)
    for li, layer in enumerate(out.past_key_values.layers):
        cache.update(layer.keys.expand(C, -1, -1, -1).contiguous(), layer.values.expand(C, -1, -1, -1).contiguous(), li)
    attn = torch.ones(C, P + A, dtype=torch.long, device=dev)
    pos = torch.arange(P, P + A, device=dev).unsqueeze(0).expand(C, A)
    D = item_table.shape[1]
    with autocast():
        o2 = model(ids.to(dev), torch.zeros(C, A, D, device=dev), torch.zeros(C, A, dtype=torch.bool, device=dev),
                   attention_mask=attn, position_ids=pos, past_key_values=cache, use_cache=False)
    lp = F.log_softmax(o2.logits.float(), -1)
    scores = []
    for i, a in enumerate(answers):
        s = first[a[0]] + sum(lp[i, j - 1, a[j]] for j in range(1, len(a)))
        scores.append(float(s))
    return scores


def evaluate(model, tok, ds, rows, item_table, dev, autocast, batch_size=8, desc="eval"):
    """Both protocols on the same rows (always hybrid prompts, template 0)."""
    model.eval()
    template = prompts.TEMPLATES[ds.domain][0]
    stop_ids = [tok.convert_tokens_to_ids(prompts.end_of_turn(tok)), tok.eos_token_id]
    gv, gh, cv, ch, examples = [], [], [], [], []
    for i in tqdm(range(0, len(rows), batch_size), desc=f"{desc} (generate + rank)", unit="batch"):
        chunk = rows[i:i + batch_size]
        encs = [prompts.encode(tok, r, ds.titles, template, hybrid=True, with_answer=False) for r in chunk]
        outs = generate(model, collate(encs, item_table, tok.pad_token_id, False), dev, max_new_tokens, stop_ids, autocast)
        for r, e, o in zip(chunk, encs, outs):
            text = tok.decode(o, skip_special_tokens=True)
            cand_titles = [ds.titles[c] for c in r.candidates]
            v, h = is_valid_and_hit(text, cand_titles, ds.titles[r.target])
            gv.append(v)
            gh.append(h)
            scores = score_candidates(model, tok, e, item_table, ds.titles, r.candidates, dev, autocast)
            best = r.candidates[max(range(len(scores)), key=scores.__getitem__)]
            cv.append(True)
            ch.append(best == r.target)
            if len(examples) < 5:
                examples.append({"target": ds.titles[r.target], "generated": text, "constrained": ds.titles[best]})
    return {"greedy": metrics_of(gv, gh), "constrained": metrics_of(cv, ch), "examples": examples,
            "greedy_hits": gh, "constrained_hits": ch}


# --- training ------------------------------------------------------------------

def train(args):
    dev = torch.device(args.device)
    torch.manual_seed(args.seed)
    ds = data.load(args.dataset, args.data_dir)
    sasrec = load_sasrec(args.sasrec or os.path.join(out_dir, f"sasrec-{args.dataset}", "model.pt"))
    if sasrec.num_items != ds.num_items:
        raise data.DataError(f"SASRec has {sasrec.num_items} items, dataset {ds.name} has {ds.num_items}")
    item_table = sasrec.item_emb.weight.detach().float()  # frozen, as in LLaRA
    model, tok = build(args.base, item_table.shape[1], dev)
    run = args.run
    os.makedirs(run, exist_ok=True)

    rng_rows = random.Random(args.seed)
    rows = ds.train if args.train_samples == 0 else rng_rows.sample(ds.train, min(args.train_samples, len(ds.train)))
    per_step = args.micro_batch * args.grad_accum
    total = math.ceil(len(rows) * args.epochs / per_step)
    trainable = [p for p in model.parameters() if p.requires_grad]
    projector_params = list(model.projector.parameters())
    opt = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=args.weight_decay)
    rng = random.Random(args.seed + 1)
    step = 0
    st = load_checkpoint_into(run, model, opt)
    if st is not None:
        step, rng_state = st["step"], st["rng"]
        rng.setstate(rng_state)
        torch.set_rng_state(st["torch_rng"])
        if st["total"] != total:
            raise ValueError(f"{run}/checkpoint was made for {st['total']} steps, this run has {total}: "
                             "use the same --train-samples/--epochs/batch flags, or a new --run")
        print(f"resuming {run} at step {step}/{total}")
    info = {"dataset": ds.name, "domain": ds.domain, "base": os.path.abspath(args.base),
            "sasrec": os.path.abspath(args.sasrec or os.path.join(out_dir, f"sasrec-{args.dataset}", "model.pt")),
            "train_rows": len(rows), "epochs": args.epochs, "effective_batch": per_step, "total_steps": total,
            "lr": args.lr, "lora": {"r": lora_r, "alpha": lora_alpha, "dropout": lora_dropout, "targets": lora_targets},
            "device": args.device, "threads": args.threads, "autocast": autocast_for(args, dev)[1]}
    with open(os.path.join(run, "info.json"), "w") as f:
        json.dump(info, f, indent=2)

    autocast = autocast_for(args, dev)[0]
    # The order of rows: a fixed permutation per epoch, so a resumed run sees the same rows.
    order = []
    for e in range(args.epochs):
        perm = list(range(len(rows)))
        random.Random(args.seed * 1000 + e).shuffle(perm)
        order += perm
    log = open(os.path.join(run, "train_log.jsonl"), "a")
    bar = tqdm(total=total, initial=step, desc="llara", unit="step")
    model.train()
    while step < total:
        hybrid = curriculum_is_hybrid(step, total, rng)
        template = rng.choice(prompts.TEMPLATES[ds.domain])
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total, args.lr)
        t0 = time.time()
        loss_sum, n = 0.0, 0
        for m in range(args.grad_accum):
            idx = order[(step * per_step + m * args.micro_batch):(step * per_step + (m + 1) * args.micro_batch)]
            if not idx:
                break
            encs = [prompts.encode(tok, rows[i], ds.titles, template, hybrid=hybrid, with_answer=True) for i in idx]
            batch = collate(encs, item_table, tok.pad_token_id, with_answer=True)
            with autocast():
                loss = answer_loss(model, batch, dev)
            (loss * len(idx) / per_step).backward()
            loss_sum += loss.item() * len(idx)
            n += len(idx)
        if not hybrid:  # curriculum: the projector is frozen on text-only steps
            for p in projector_params:
                p.grad = None
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        dt = time.time() - t0
        rec = {"step": step, "loss": round(loss_sum / max(1, n), 4), "hybrid": hybrid, "lr": opt.param_groups[0]["lr"],
               "samples_per_s": round(n / dt, 3), "tokens": int(batch["attention_mask"].sum())}
        log.write(json.dumps(rec) + "\n")
        log.flush()
        bar.update(1)
        bar.set_postfix(loss=rec["loss"], hybrid=int(hybrid), sps=rec["samples_per_s"])
        if step % args.save_every == 0 or step == total:
            save_checkpoint(run, model, opt, step, rng, total)
    bar.close()
    return run


def run_paths(run, info, base_dir=None):
    """(base folder, SASRec checkpoint) of a run: a packed run (training.demo_model) records only the base
    model's name and carries its SASRec as sasrec.pt, so both resolve to what is on this machine."""
    packed_sasrec = os.path.join(run, "sasrec.pt")
    sasrec = packed_sasrec if os.path.isfile(packed_sasrec) else info.get("sasrec")
    if sasrec is None:
        raise FileNotFoundError(f"{run} names no SASRec checkpoint and has no sasrec.pt")
    base_dir = base_dir or info["base"]
    if not os.path.isdir(base_dir) and os.path.isdir(os.path.join(os.path.dirname(base), base_dir)):
        base_dir = os.path.join(os.path.dirname(base), base_dir)  # "SmolLM2-135M-Instruct" -> models/base/...
    return base_dir, sasrec


def load_run(run, dev, base_dir=None):
    """(model with the run's weights, tokenizer, item table, info) for evaluation."""
    if not os.path.isfile(os.path.join(run, "info.json")):
        raise FileNotFoundError(f"{run} is not a training run folder (no info.json)")
    with open(os.path.join(run, "info.json")) as f:
        info = json.load(f)
    base_dir, sasrec_path = run_paths(run, info, base_dir)
    item_table = load_sasrec(sasrec_path).item_emb.weight.detach().float()
    model, tok = build(base_dir, item_table.shape[1], dev)
    if load_checkpoint_into(run, model) is None:
        raise FileNotFoundError(f"{run}/checkpoint not found")
    return model, tok, item_table, info


def score_rows(run, ds, rows, dev, autocast):
    """Per-row hits of title generation (free greedy: a hit only when valid) and constrained decoding."""
    model, tok, item_table, _ = load_run(run, dev)
    res = evaluate(model, tok, ds, rows, item_table, dev, autocast, desc="title generation")
    return {"title generation (greedy)": res["greedy_hits"], "title generation (constrained)": res["constrained_hits"]}


def run_eval(args):
    dev = torch.device(args.device)
    model, tok, item_table, info = load_run(args.run, dev)
    ds = data.load(info["dataset"], args.data_dir)
    autocast = autocast_for(args, dev)[0]
    results = {}
    for split in args.splits.split(","):
        rows = getattr(ds, split)
        if not rows:
            continue
        rows = rows[: args.eval_rows] if args.eval_rows else rows
        t0 = time.time()
        results[split] = evaluate(model, tok, ds, rows, item_table, dev, autocast, desc=split)
        for k in ("greedy_hits", "constrained_hits"):
            results[split].pop(k)
        results[split]["seconds"] = round(time.time() - t0, 1)
        print(split, json.dumps({k: v for k, v in results[split].items() if k != "examples"}))
    # eval.json holds evaluations over whole splits (the version's metrics come from it): a
    # first-N-rows check goes to a file of its own.
    name = f"eval-first{args.eval_rows}.json" if args.eval_rows else "eval.json"
    with open(os.path.join(args.run, name), "w") as f:
        json.dump(results, f, indent=2)
    return results


def load_for_export(run, base_dir=None, data_dir=None):
    """(merged HybridLM, tokenizer, SASRec, items, info) for training.export. base_dir and data_dir override
    the paths the run recorded; a packed run (training.demo_model) carries its SASRec as sasrec.pt."""
    if not os.path.isfile(os.path.join(run, "info.json")):
        raise FileNotFoundError(f"{run} is not a training run folder (no info.json): run python -m training.llara first")
    with open(os.path.join(run, "info.json")) as f:
        info = json.load(f)
    ds = data.load(info["dataset"], data_dir)
    base_dir, sasrec_path = run_paths(run, info, base_dir)
    sasrec = load_sasrec(sasrec_path)
    model, tok = build(base_dir, sasrec.dim, torch.device("cpu"))
    if load_checkpoint_into(run, model) is None:
        raise FileNotFoundError(f"{run}/checkpoint not found")
    model.llm = model.llm.merge_and_unload()
    ev = os.path.join(run, "eval.json")
    metrics = []
    if os.path.isfile(ev):
        with open(ev) as f:
            for split, r in json.load(f).items():
                for mode in ("greedy", "constrained"):
                    metrics.append({"dataset": info["dataset"], "split": split, "decoding": mode, **r[mode],
                                    "date": r.get("date") or time.strftime("%Y-%m-%d", time.gmtime(os.path.getmtime(ev)))})
    items = list(zip(ds.ext_ids[1:], ds.titles[1:]))
    base = {"name": os.path.basename(os.path.normpath(base_dir)), "license": "Apache-2.0", "path": base_dir}
    return model.eval(), tok, sasrec, items, {"domain": info["domain"], "base": base, "metrics": metrics}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=dataset)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--base", default=base, help="local HF Llama-family folder")
    ap.add_argument("--sasrec", default=sasrec_ckpt)
    ap.add_argument("--run", default=None, help="run folder (default training/runs/llara-<dataset>)")
    ap.add_argument("--train-samples", type=int, default=train_samples)
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--micro-batch", type=int, default=micro_batch)
    ap.add_argument("--grad-accum", type=int, default=grad_accum)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--weight-decay", type=float, default=weight_decay)
    ap.add_argument("--save-every", type=int, default=save_every)
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--threads", type=int, default=threads)
    ap.add_argument("--device", default=device, choices=["cpu", "cuda"])
    ap.add_argument("--dtype", default="auto", choices=["auto", "bf16", "fp32"],
                    help="autocast: auto = bf16 on GPU or a CPU with bf16 instructions, else fp32")
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--eval-rows", type=int, default=eval_rows)
    ap.add_argument("--splits", default="test,val")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    args.run = args.run or os.path.join(out_dir, f"llara-{args.dataset}")
    try:
        if not args.eval_only:
            train(args)
        if not args.no_eval:
            run_eval(args)
    except (data.DataError, BaseModelError, FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
