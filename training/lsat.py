"""
LSAT (Shan et al., "Preliminary Study on Incremental Learning for Large Language Model-based
Recommender Systems", arXiv 2312.15599): retraining the LoRA on all data, or fine-tuning it on the
newest data, both forget or dilute; instead keep two adapters on the same frozen LLM —
a long-term LoRA trained on the older periods and a cheap short-term LoRA trained on the newest
period only — and combine them at inference, either
  (a) weight averaging:  W' = W + w·ΔW_long + (1−w)·ΔW_short,   ΔW = (alpha/r)·B·A per target module
  (b) output ensemble:   logits = w·logits_long + (1−w)·logits_short
with w chosen on the newest period's validation rows. (a) is one plain model: it is what gets
exported, so serving costs nothing extra. (b) needs both models at serving; here it is only
measured beside (a).

    python -m training.lsat combine --long-run training/runs/rank-goodbooks --short-run training/runs/rank-new \\
        --weight auto --out training/runs/rank-lsat          # w on the short run's val rows (HR@1 of the fusion)
    python -m training.export --run training/runs/rank-lsat --out models/<version>

The combined run is an ordinary rank run: its adapter is the exact rank r_long + r_short LoRA
[w·s_l·B_l, (1−w)·s_s·B_s] · [A_l; A_s] (scaling 1) on the union of the two adapters' layers and
modules, so training.rank's load_run, run_eval and training.export read it unchanged.
"""

import argparse
import contextlib
import copy
import hashlib
import json
import math
import os
import random
import re
import shutil
import sys
import time

import torch
import torch.nn.functional as F

# -----------------------------------------------------------------------------
grid = [round(0.1 * k, 1) for k in range(11)]  # w = 0, 0.1, ..., 1 (1 = the long-term adapter alone)
val_samples = 0  # val rows for --weight auto (fixed seed); 0 = all
refit_fusion = True  # --weight auto: refit the fusion's three scalars (a, b, β) on the val rows at each w, instead of
# averaging them: the short run fits them on the newest period's few rows, and an average of two fits is neither's
fusion_prior = 0.01  # refit: + this · ‖(a, b, β) − their w-average‖², so a handful of val rows cannot run them off
# (rank.fit_mix)
threads = 1
# -----------------------------------------------------------------------------

KEY = re.compile(r"^(?:base_model\.model\.)?(.*)\.lora_([AB])(?:\.[A-Za-z0-9_-]+)?\.weight$")


# --- an adapter's ΔW ---------------------------------------------------------------

def adapter_parts(adapter, config=None):
    """(lora state dict, config dict) from a peft model, a run or adapter folder, or a state dict + config."""
    if hasattr(adapter, "peft_config"):  # a PeftModel (or a model with an injected adapter)
        from peft import get_peft_model_state_dict
        name = getattr(adapter, "active_adapter", "default")
        name = name[0] if isinstance(name, (list, tuple)) else name
        return get_peft_model_state_dict(adapter, adapter_name=name), adapter.peft_config[name].to_dict()
    if isinstance(adapter, str):
        from safetensors.torch import load_file
        folder = os.path.join(adapter, "checkpoint") if os.path.isdir(os.path.join(adapter, "checkpoint")) else adapter
        with open(os.path.join(folder, "adapter_config.json")) as f:
            return load_file(os.path.join(folder, "adapter_model.safetensors")), json.load(f)
    if isinstance(adapter, tuple):
        return adapter
    if config is None:
        raise ValueError("a LoRA state dict needs its config (r, lora_alpha) to give ΔW")
    return adapter, config


def _pattern_value(name, patterns, default):
    """peft's rank_pattern / alpha_pattern: a key matches a module whose name ends with it (regex)."""
    for key, value in (patterns or {}).items():
        if re.match(rf"(.*\.)?{key}$", name):
            return value
    return default


def lora_factors(adapter, config=None):
    """{module name in the plain model: (A [r, in], B [out, r], scaling)}; scaling = alpha/r (alpha/√r with rsLoRA)."""
    state, cfg = adapter_parts(adapter, config)
    cfg = cfg if isinstance(cfg, dict) else cfg.to_dict()
    if cfg.get("use_dora"):
        raise ValueError("DoRA adapters are not a plain ΔW = s·B·A: not supported")
    if cfg.get("lora_bias") or cfg.get("bias", "none") != "none":
        raise ValueError("adapters that train biases are not supported (ΔW only)")
    parts = {}
    for key, t in state.items():
        m = KEY.match(key)
        if m is None:
            raise ValueError(f"not a LoRA A/B weight: {key}")
        parts.setdefault(m.group(1), {})[m.group(2)] = t.float()
    out = {}
    for name, ab in parts.items():
        if set(ab) != {"A", "B"}:
            raise ValueError(f"{name}: LoRA A or B missing")
        r = ab["A"].shape[0]
        alpha = _pattern_value(name, cfg.get("alpha_pattern"), cfg["lora_alpha"])
        scaling = alpha / (math.sqrt(r) if cfg.get("use_rslora") else r)
        A, B = ab["A"], ab["B"]
        if cfg.get("fan_in_fan_out"):  # GPT-2's Conv1D stores weights transposed
            A, B = B.T, A.T
        out[name] = (A, B, scaling)
    return out


def lora_deltas(adapter, config=None):
    """{module name in the plain model (e.g. model.layers.7.self_attn.q_proj): ΔW = scaling · B @ A} —
    only the modules (and layers) the adapter targets."""
    return {name: s * (B @ A) for name, (A, B, s) in lora_factors(adapter, config).items()}


# --- combining two adapters ----------------------------------------------------------

def combine(base_model, long_adapter, short_adapter, w):
    """A plain copy of base_model with W + w·ΔW_long + (1−w)·ΔW_short in every module either adapter targets
    (a module only one of them targets gets only its term). Adapters: ΔW dicts or what lora_deltas takes."""
    deltas = [d if _is_deltas(d) else lora_deltas(d) for d in (long_adapter, short_adapter)]
    model = copy.deepcopy(base_model)
    modules = dict(model.named_modules())
    with torch.no_grad():
        for name in sorted(set(deltas[0]) | set(deltas[1])):
            if name not in modules or not hasattr(modules[name], "weight"):
                raise KeyError(f"{name}: the adapter targets a module the base model does not have")
            weight = modules[name].weight
            delta = torch.zeros(weight.shape, dtype=torch.float32)
            for d, k in zip(deltas, (w, 1 - w)):
                if name in d:
                    if d[name].shape != weight.shape:
                        raise ValueError(f"{name}: ΔW {tuple(d[name].shape)} does not fit W {tuple(weight.shape)}")
                    delta += k * d[name]
            weight += delta.to(device=weight.device, dtype=weight.dtype)
    return model


def _is_deltas(x):
    return isinstance(x, dict) and x and all(torch.is_tensor(v) and v.dim() == 2 for v in x.values()) and \
        not any(KEY.match(k) for k in x)


def concat_adapters(long_adapter, short_adapter, w):
    """The exact LoRA of w·ΔW_long + (1−w)·ΔW_short: A = [A_l; A_s], B = [w·s_l·B_l, (1−w)·s_s·B_s], scaling 1,
    rank r_l + r_s, on every (layer, module) of the union grid (zero blocks where an adapter is absent).
    (peft state dict in save_pretrained's key format, r, list of layer indices, target module names)."""
    factors = [lora_factors(a) for a in (long_adapter, short_adapter)]
    ranks = [max((A.shape[0] for A, _, _ in f.values()), default=0) for f in factors]
    shapes, layers = {}, set()
    for f in factors:
        for name, (A, B, _) in f.items():
            m = re.match(r"^(.*\.layers\.)(\d+)\.(.*)$", name)
            if m is None:
                raise ValueError(f"{name}: not a decoder layer's module")
            layers.add(int(m.group(2)))
            shapes[(m.group(1), m.group(3))] = (A.shape[1], B.shape[0])
    state = {}
    for (prefix, suffix), (n_in, n_out) in sorted(shapes.items()):
        for layer in sorted(layers):
            name = f"{prefix}{layer}.{suffix}"
            As, Bs = [], []
            for f, r, k in zip(factors, ranks, (w, 1 - w)):
                A, B, s = f.get(name, (torch.zeros(r, n_in), torch.zeros(n_out, r), 0.0))
                pad = r - A.shape[0]  # rank_pattern: a smaller rank here, zero rows up to r
                As.append(torch.cat([A, torch.zeros(pad, n_in)]))
                Bs.append(torch.cat([k * s * B, torch.zeros(n_out, pad)], 1))
            state[f"base_model.model.{name}.lora_A.weight"] = torch.cat(As).contiguous()
            state[f"base_model.model.{name}.lora_B.weight"] = torch.cat(Bs, 1).contiguous()
    targets = sorted({suffix.split(".")[-1] for _, suffix in shapes})
    return state, sum(ranks), sorted(layers), targets


def ensemble_logits(long, short, w, **inputs):
    """The output ensemble w·long + (1−w)·short: of two logits tensors, or of two models' logits on the same inputs."""
    if torch.is_tensor(long):
        return w * long.float() + (1 - w) * short.float()
    with torch.no_grad():
        return w * long(**inputs).logits.float() + (1 - w) * short(**inputs).logits.float()


def choose_weight(score_fn, grid=grid):
    """(best w, curve): score_fn(w) at each w of the grid, higher is better (a tuple compares in order, so
    (HR@1, −cross-entropy) breaks HR@1's frequent ties); the first of equal bests wins."""
    curve = [(w, score_fn(w)) for w in grid]
    best = max(curve, key=lambda p: p[1])
    return best[0], curve


# --- two rank runs -> one combined run ---------------------------------------------------

def read_run(run):
    """(info, adapter (state, config), state.pt) of a training.rank run folder."""
    with open(os.path.join(run, "info.json")) as f:
        info = json.load(f)
    if info.get("kind") != "rank":
        raise ValueError(f"{run} is not a training.rank run (kind {info.get('kind', 'llara')!r})")
    if not os.path.isfile(os.path.join(run, "checkpoint", "adapter_model.safetensors")):
        raise FileNotFoundError(f"{run}/checkpoint not found")
    st = torch.load(os.path.join(run, "checkpoint", "state.pt"), weights_only=False, map_location="cpu")
    return info, adapter_parts(run), st


def check_compatible(long_info, short_info):
    """Both adapters must sit on the same base and be read the same way; the long run's prompt is the combined one's."""
    same_base = os.path.basename(os.path.normpath(long_info["base"])) == os.path.basename(os.path.normpath(short_info["base"]))
    if not same_base:
        raise ValueError(f"the runs have different base models ({long_info['base']} vs {short_info['base']})")
    for key, default in (("head", "labels"), ("order", None), ("title_tokens", None), ("with_creator", False)):
        a, b = long_info.get(key, default), short_info.get(key, default)
        if a != b:
            raise ValueError(f"the runs differ in {key} ({a!r} vs {b!r}): their scores are not read the same way")


def combined_parts(long, short, w):
    """Everything of the combined run at weight w: adapter, rank, layers, targets, projector, mix, β.
    mix and β are averaged with the same w (w = 1 is the long run exactly, w = 0 the short run); the projector
    too, unless only one run trained it (hybrid), which then gives it."""
    (l_info, l_adapter, l_st), (s_info, s_adapter, s_st) = long, short
    state, r, layers, targets = concat_adapters(l_adapter, s_adapter, w)
    trained = [l_info["hybrid"] != "off", s_info["hybrid"] != "off"]
    pw = w if trained[0] == trained[1] else float(trained[0])
    projector = {k: pw * l_st["projector"][k] + (1 - pw) * s_st["projector"][k] for k in l_st["projector"]}
    return {"adapter": state, "r": r, "layers": layers, "targets": targets, "projector": projector,
            "mix": w * l_st["mix"] + (1 - w) * s_st["mix"], "beta": w * l_st["beta"] + (1 - w) * s_st["beta"]}


def num_layers(base_dir):
    with open(os.path.join(base_dir, "config.json")) as f:
        return json.load(f)["num_hidden_layers"]


def write_run(out, long_run, short_run, long, short, parts, lsat):
    """A rank run folder: checkpoint/ (adapter_model.safetensors, adapter_config.json, state.pt), info.json, lsat.json.
    Base, dataset and SASRec are the short run's (the newest period); the prompt settings the long run's."""
    from peft import LoraConfig
    from safetensors.torch import save_file
    from training.llara import run_paths
    l_info, s_info = long[0], short[0]
    base_dir, sasrec = run_paths(short_run, s_info)
    n = num_layers(base_dir)
    top = n - min(parts["layers"])  # rank.build puts LoRA on the top `layers` layers (all when hybrid)
    if l_info["hybrid"] != "off" and top != n:
        raise ValueError("a hybrid prompt puts LoRA on every layer, but the adapters do not cover them")
    os.makedirs(os.path.join(out, "checkpoint"), exist_ok=True)
    save_file(parts["adapter"], os.path.join(out, "checkpoint", "adapter_model.safetensors"))
    LoraConfig(r=parts["r"], lora_alpha=parts["r"], lora_dropout=0.0, target_modules=parts["targets"],
               layers_to_transform=list(range(n - top, n)), task_type="CAUSAL_LM").save_pretrained(os.path.join(out, "checkpoint"))
    torch.save({"projector": parts["projector"], "mix": parts["mix"], "beta": parts["beta"], "opt": None, "step": 0,
                "total": 0, "rng": None, "torch_rng": torch.get_rng_state(), "curve": []},
               os.path.join(out, "checkpoint", "state.pt"))
    if os.path.isfile(os.path.join(short_run, "sasrec.pt")):  # a packed run carries its SASRec
        shutil.copy(os.path.join(short_run, "sasrec.pt"), os.path.join(out, "sasrec.pt"))
    info = {**s_info, **{k: l_info[k] for k in ("hybrid", "head", "order", "title_tokens", "with_creator") if k in l_info},
            "kind": "rank", "base": os.path.abspath(base_dir) if os.path.isdir(base_dir) else s_info["base"],
            "sasrec": os.path.abspath(sasrec),
            "lora": {"r": parts["r"], "alpha": parts["r"], "dropout": 0.0, "targets": parts["targets"],
                     "layers": "all" if l_info["hybrid"] != "off" else top},
            "request_share": max(l_info.get("request_share", 0.0), s_info.get("request_share", 0.0)), "lsat": lsat}
    for k in ("train_rows", "epochs", "total_steps", "effective_batch"):
        info.pop(k, None)  # the combined run was not trained; its sources' figures are in lsat
    with open(os.path.join(out, "info.json"), "w") as f:
        json.dump(info, f, indent=2)
    with open(os.path.join(out, "lsat.json"), "w") as f:
        json.dump(lsat, f, indent=2)


def source_summary(run, info):
    return {"run": os.path.abspath(run), "dataset": info["dataset"], "hybrid": info["hybrid"], "lora": info["lora"],
            "train_rows": info.get("train_rows"), "total_steps": info.get("total_steps"),
            "init_from": info.get("init_from"), "rows_file": info.get("rows_file")}


def apply_parts(ranker, parts):
    """Load a combined run's weights into a loaded ranker (same rank, layers and modules)."""
    from peft import set_peft_model_state_dict
    res = set_peft_model_state_dict(ranker.lm.llm, parts["adapter"])
    if getattr(res, "unexpected_keys", None):
        raise ValueError(f"the loaded model has no LoRA for {res.unexpected_keys[:3]}")
    ranker.lm.projector.load_state_dict(parts["projector"])
    ranker.mix.data.copy_(parts["mix"])
    ranker.beta.data.copy_(parts["beta"])


@contextlib.contextmanager
def frozen_bottom_replay(llm, max_bytes=1 << 30):
    """The sweep's shortcut. Changing w changes only the LoRA layers, so with a text-only prompt the layers below
    the first LoRA layer compute the same hidden states at every w: each distinct batch runs them once, and later
    passes replay their output (SmolLM2-135M with LoRA on the top 8 of 30 layers: a pass after the first costs
    about 8/30 of one). A batch is known by its input hidden states, so a hybrid prompt, whose behaviour slots
    change with the projector, is simply computed again. Yields the number of replayed layers."""
    layers = next(m for n, m in llm.named_modules() if n.endswith("layers") and isinstance(m, torch.nn.ModuleList))
    first = next((i for i, layer in enumerate(layers) if any("lora_" in n for n, _ in layer.named_parameters())), 0)
    saved, state = {}, {"key": None, "hit": None, "bytes": 0}

    def replaying(i, forward):
        def run(hidden_states, *args, **kwargs):
            if i == 0:
                digest = hashlib.blake2b(str(tuple(hidden_states.shape)).encode())
                for t in (hidden_states, kwargs.get("position_ids")):
                    if t is not None:
                        digest.update(t.detach().float().cpu().numpy().tobytes())
                state["key"] = digest.digest()
                state["hit"] = saved.get(state["key"])
            if state["hit"] is not None:  # skip the bottom layers: the last one hands on the saved output
                return state["hit"] if i == first - 1 else hidden_states
            out = forward(hidden_states, *args, **kwargs)
            size = out.numel() * out.element_size()
            if i == first - 1 and state["bytes"] + size <= max_bytes:
                saved[state["key"]] = out.detach().clone()
                state["bytes"] += size
            return out
        return run

    for i, layer in enumerate(layers[:first]):
        layer.forward = replaying(i, layer.forward)
    try:
        yield first
    finally:
        for layer in layers[:first]:
            del layer.forward  # back to the class's forward


def sweep(run, long, short, grid, rows_file=None, samples=0, dev=torch.device("cpu"), refit=refit_fusion):
    """HR@1 and cross-entropy of the fused scores on the newest period's val rows for every w of the grid,
    for weight averaging (one merged model per w) and, when the grid holds w = 0 and 1, for the output ensemble
    (the two runs' fused scores, each with its own fusion, averaged). run: a combined run folder already
    written (any w).
    refit: the fusion's (a, b, β) are fitted on these rows at each w (the scores are already there, so
    it costs no forward pass); otherwise they are the w-average of the two runs'."""
    from training import data, rank
    from training.llara import autocast_for
    args, ranker, prompt, ds, recommender, item_table = rank.load_run(run, dev)
    rows = data.load_rows(rows_file, ds, "lsat-val") if rows_file else ds.val
    if samples and samples < len(rows):
        rows = random.Random(0).sample(rows, samples)
    if not rows:
        raise ValueError("no validation rows to choose w on")
    targets = torch.tensor([r.candidates.index(r.target) for r in rows])
    autocast, _ = autocast_for(args, dev)
    fusion = {}  # w -> the (mix, β) its fused scores were computed with
    own = {}  # w -> the fused scores with the w-averaged (mix, β): at w = 1 and 0, each run's own

    def score(w):
        parts = combined_parts(long, short, w)
        apply_parts(ranker, parts)
        scores = {}
        rank.evaluate_rows(args, ranker, prompt, ds, recommender, item_table, dev, autocast, rows, f"w={w}",
                           args.hybrid != "off", scores=scores)
        channels = torch.cat([scores["features"], scores["llm"].unsqueeze(-1)], -1)  # [N, 20, 3]: sasrec, log-pop, LLM
        start = torch.cat([parts["mix"].cpu(), parts["beta"].reshape(1).cpu()])
        weights = rank.fit_mix(channels, targets, 200, start, fusion_prior) if refit else start
        fusion[w] = (weights[:2].clone(), weights[2].clone())
        own[w] = channels @ start
        return hr1_ce(channels @ weights, rows, targets)

    with frozen_bottom_replay(ranker.lm.llm):
        best, curve = choose_weight(score, grid)
    as_points = lambda c: [{"w": w, "hr1": round(s[0], 4), "ce": round(-s[1], 4)} for w, s in c]
    ensemble = None
    if 0.0 in own and 1.0 in own:  # the ensemble's curve, where the grid holds both ends
        e_best, e_curve = choose_weight(lambda w: hr1_ce(ensemble_logits(own[1.0], own[0.0], w), rows, targets), grid)
        ensemble = {"weight": e_best, "curve": as_points(e_curve)}
    return best, as_points(curve), ensemble, len(rows), fusion[best]


def hr1_ce(fused, rows, targets):
    """(HR@1, −cross-entropy) of fused scores [N, 20]: higher is better on both."""
    hr1 = float((fused.argmax(1) == targets).float().mean())
    return hr1, -float(F.cross_entropy(fused, targets))


def combine_runs(long_run, short_run, weight, out, grid=grid, rows_file=None, samples=0, refit=refit_fusion):
    """Write the combined run to `out` (built beside it, swapped in at the end). weight: a number, or "auto"."""
    from training.llara import replace_folder
    long, short = read_run(long_run), read_run(short_run)
    check_compatible(long[0], short[0])
    building = os.path.normpath(out) + ".building"
    shutil.rmtree(building, ignore_errors=True)
    lsat = {"method": "LSAT weight averaging (arXiv 2312.15599)", "formula": "W + w·ΔW_long + (1−w)·ΔW_short",
            "long_run": source_summary(long_run, long[0]), "short_run": source_summary(short_run, short[0]),
            "weight_mode": "auto" if weight == "auto" else "fixed",
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        w = 1.0 if weight == "auto" else float(weight)
        if not 0.0 <= w <= 1.0:
            raise ValueError(f"--weight {w}: w must be in [0, 1] (or auto)")
        write_run(building, long_run, short_run, long, short, combined_parts(long, short, w), {**lsat, "weight": w})
        if weight == "auto":
            w, curve, ensemble, n, (mix, beta) = sweep(building, long, short, grid, rows_file, samples, refit=refit)
            lsat.update(weight=w, curve=curve, ensemble=ensemble,
                        validation={"rows": n, "source": rows_file or "the short run's val split",
                                    "score": "HR@1 of the fused scores (ties: lower cross-entropy)"},
                        fusion={"sasrec": round(float(mix[0]), 4), "log_popularity": round(float(mix[1]), 4),
                                "beta": round(float(beta), 4),
                                "how": "refitted on the val rows at w" if refit else "w-average of the two runs'"})
            shutil.rmtree(building)
            write_run(building, long_run, short_run, long, short,
                      {**combined_parts(long, short, w), "mix": mix, "beta": beta}, lsat)
        else:
            lsat["weight"] = w
        replace_folder(building, os.path.normpath(out))
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return lsat


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("combine", help="average two rank runs' adapters into one exportable run")
    c.add_argument("--long-run", required=True, help="the long-term run (older periods)")
    c.add_argument("--short-run", required=True, help="the short-term run (newest period): its base, dataset and SASRec are kept")
    c.add_argument("--weight", default="auto", help="w of the long-term adapter, in [0, 1], or auto (chosen on val)")
    c.add_argument("--out", required=True, help="the combined run folder to write")
    c.add_argument("--grid", default=",".join(str(g) for g in grid), help="w values tried by --weight auto")
    c.add_argument("--val-rows", default=None, help="rows to choose w on (a val.jsonl of the short run's dataset); "
                   "default: the short run's val split")
    c.add_argument("--val-samples", type=int, default=val_samples, help="at most this many val rows (fixed seed); 0 = all")
    c.add_argument("--average-fusion", action="store_true", help="--weight auto: average the runs' (a, b, β) with w "
                   "instead of refitting them on the val rows at each w")
    c.add_argument("--eval", action="store_true", help="then evaluate the combined run on val and test (eval.json, "
                   "which export puts into manifest.ranking.validation; val then also chose w)")
    c.add_argument("--threads", type=int, default=threads)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from training import data
    from training.base_model import BaseModelError
    try:
        grid_values = [float(g) for g in args.grid.split(",")]
        lsat = combine_runs(args.long_run, args.short_run, args.weight, args.out, grid_values, args.val_rows, args.val_samples,
                            refit=not args.average_fusion)
        print(json.dumps({k: lsat[k] for k in ("weight", "curve", "ensemble") if k in lsat}))
        if args.eval:
            from training import rank
            rank.run_eval(argparse.Namespace(run=args.out, device="cpu", data_dir=None, splits="val,test"))
    except (data.DataError, BaseModelError, FileNotFoundError, ValueError, KeyError) as e:
        sys.exit(f"error: {e}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
