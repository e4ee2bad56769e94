"""
bench/incremental: replay MovieLens in time periods, as LSAT does (Shan et al., arXiv 2312.15599), and
compare ways of updating the listwise ranker (training/rank.py, item head, 20 candidates) when a new
period arrives.

    python -m training.incremental --periods 3 --train-per-period 160 --threads 2    # resumable: rerun to go on

The protocol, top-down (K periods; the update step is the last one, period K):
1. Periods. Every accepted u.data rating (same filters as training/data.py) is ordered by (timestamp,
   line) and cut into K periods of equal size. A row is data.py's: the user's previous min(k, 10) items
   (k >= 3) -> item k; it belongs to the period of its TARGET's timestamp, so its history is never later
   than its target and may reach back into earlier periods.
2. Users. Users are split once (fixed seed) into train (80 %), val (10 %) and test (10 %). Training rows
   come only from train users; val rows (choosing LSAT's w, SASRec's early stopping) and test rows (all
   figures) only from held-out users, whose rows no model ever trains on.
   Written: periods/p<k>_{train,val,test}.jsonl (LLaRA's jsonl, 0-based ids, as data convert writes).
3. Recommender. The ranker fuses SASRec + popularity with the LLM. The repository's SASRec saw every
   period, so here SASRec (full model + 2 cross-fitting folds) is retrained per step on the data known
   then: upto<K-1>/ (periods 1..K-1) and upto<K>/ (1..K), each a dataset folder in data convert's layout
   whose train split also gives popularity and the fitted mix. Every update variant uses the same
   upto<K> recommender, so the variants differ only in the LLM's adapter.
4. Training sets are small samples (--train-per-period rows of each period). The long-term model L is
   trained on the samples of periods 1..K-1; then, for period K:
   (a) full:     a fresh ranker on the samples of periods 1..K (full retraining);
   (b) finetune: L fine-tuned on period K's sample only (rank --init-from L --rows);
   (c) lsat:     a short-term ranker S (zero LoRA) on period K's sample, combined with L by weight
                 averaging W + w·ΔW_L + (1−w)·ΔW_S (training/lsat.py), w chosen on period K's val rows;
   (d) ensemble: w'·fused_L + (1−w')·fused_S, w' chosen on the same val rows (needs both models at serving).
5. Figures, all rows of the fixed samples: next-period HR@1 = period K's held-out test rows; forgetting =
   HR@1 on held-out test rows of periods 1..K-1; paired against (a) (McNemar exact p). Wall time = the
   training (and for LSAT the w sweep) the update costs; SASRec retraining is shared and listed apart.

AUC: the item head scores every candidate by the logit of " yes" at the end of its line (a yes/no reading
of each candidate, in one prompt), fused with SASRec and popularity; a row's AUC is the share of its 19
sampled negatives scored below the true next item, averaged over rows. LSAT's MovieLens-1M AUCs (best
incremental baseline .8242, LSAT .8655) are TALLRec's: one yes/no prompt per (user, rated item), liked
(rating > 3) vs not, on MovieLens-1M — another task and dataset, so they are shown beside these, not
compared.

Every step writes its output and is skipped when that output exists; an interrupted rank run resumes from
its checkpoint. Everything lives in training/runs/incremental-<dataset>/ (results/ holds timings and
per-row hits).
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict

# -----------------------------------------------------------------------------
dataset = "movielens"
periods = 3
train_per_period = 160  # training rows sampled from each period (fixed seed)
eval_rows = 150  # held-out test rows sampled for the newest period, and for the earlier periods together
val_rows = 80  # held-out val rows of the newest period: LSAT's w (and the rank runs' final val point)
val_share = test_share = 0.1  # users held out for val / test
sasrec_epochs, sasrec_patience = 30, 2  # capped for the 2-core time box (training.sasrec: up to 200 epochs, patience 6)
grid = "0,0.2,0.4,0.6,0.8,1"  # LSAT's w candidates (1 = long-term adapter alone)
rank_flags = ["--head", "items", "--aux-weight", "0.5", "--lr", "1e-3"]  # as rank-movielens-i1
seed = 0
threads = 2
out_root = "training/runs"
# -----------------------------------------------------------------------------


def log(msg):
    print(time.strftime("[%H:%M:%S] ") + msg, flush=True)


# --- 1. periods and rows --------------------------------------------------------------

def read_movielens(folder):
    """Accepted ratings as (user, item row, timestamp, line): data.py's filters (user in u.user, item in u.item)."""
    with open(os.path.join(folder, "u.user"), encoding="ISO-8859-1") as f:
        users = {int(line.split("|")[0]) for line in f if line.strip()}
    with open(os.path.join(folder, "u.item"), encoding="ISO-8859-1") as f:
        num_items = sum(1 for line in f if line.strip())
    out = []
    with open(os.path.join(folder, "u.data")) as f:
        for ln, line in enumerate(f, 1):
            try:
                u, i, _, t = (int(x) for x in line.split())
            except ValueError:
                continue
            if u in users and 1 <= i <= num_items:
                out.append((u, i, t, ln))
    return out


def cut_periods(interactions, k):
    """Period (0-based) of each interaction: ordered by (timestamp, line), cut into k runs of equal size."""
    order = sorted(range(len(interactions)), key=lambda j: (interactions[j][2], interactions[j][3]))
    period = [0] * len(interactions)
    for rank_, j in enumerate(order):
        period[j] = rank_ * k // len(order)
    return period


def period_rows(interactions, k, max_history=10, min_history=3):
    """Rows per user, time-ordered: {user: [{history, target, t, history_t, period}]}; a row's period is its
    target's. History = the user's previous min(pos, max_history) items (positions >= min_history)."""
    period = cut_periods(interactions, k)
    seqs = defaultdict(list)
    for (u, i, t, ln), p in zip(interactions, period):
        seqs[u].append((t, ln, i, p))
    rows = {}
    for u in sorted(seqs):
        s = sorted(seqs[u])
        rows[u] = [{"history": [x[2] for x in s[max(0, n - max_history):n]], "history_t": [x[0] for x in s[max(0, n - max_history):n]],
                    "target": s[n][2], "t": s[n][0], "period": s[n][3]} for n in range(min_history, len(s))]
    return rows


def split_users(users, seed_=seed):
    """(val users, test users): val_share and test_share of the users, fixed seed; the rest train."""
    users = sorted(users)
    random.Random(f"{seed_}-incremental-users").shuffle(users)
    nv, nt = int(len(users) * val_share), int(len(users) * test_share)
    return set(users[:nv]), set(users[nv:nv + nt])


def llara_line(row, num_items, max_history=10):
    """LLaRA's jsonl row (0-based ids, padded with num_items), as data convert writes."""
    hist = [i - 1 for i in row["history"]]
    return json.dumps({"seq": hist + [num_items] * (max_history - len(hist)), "len_seq": len(hist),
                       "next": row["target"] - 1}) + "\n"


def write_rows(path, rows, num_items):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.writelines(llara_line(r, num_items) for r in rows)
    os.replace(path + ".tmp", path)


def sample(rows, n, name):
    return rows if n <= 0 or n >= len(rows) else random.Random(f"{seed}-{name}").sample(rows, n)


def build_data(root, args):
    """periods/, the per-step dataset folders upto<T>/ and the fixed samples/; returns the summary."""
    summary_path = os.path.join(root, "periods", "summary.json")
    if os.path.isfile(summary_path):
        with open(summary_path) as f:
            return json.load(f)
    from training import data
    ds = data.load(args.dataset)  # the titles, exactly as every other command shows them
    interactions = read_movielens(os.path.join(data.shared_data, args.dataset))
    rows = period_rows(interactions, args.periods)
    val_u, test_u = split_users(rows)
    role = lambda u: "val" if u in val_u else "test" if u in test_u else "train"
    by = defaultdict(list)  # (role, period) -> rows, users in order, each user's rows in time order
    for u, rs in rows.items():
        for r in rs:
            by[(role(u), r["period"])].append(r)
    K, N = args.periods, ds.num_items
    for p in range(K):
        for kind in ("train", "val", "test"):
            write_rows(os.path.join(root, "periods", f"p{p + 1}_{kind}.jsonl"), by[(kind, p)], N)
    # The fixed samples every variant trains and is scored on.
    train_samples = {p: sample(by[("train", p)], args.train_per_period, f"train-p{p + 1}") for p in range(K)}
    for p in range(K):
        write_rows(os.path.join(root, "samples", f"train-p{p + 1}.jsonl"), train_samples[p], N)
    for T in (K - 1, K):
        write_rows(os.path.join(root, "samples", f"train-upto{T}.jsonl"), [r for p in range(T) for r in train_samples[p]], N)
    write_rows(os.path.join(root, "samples", "eval-next.jsonl"), sample(by[("test", K - 1)], args.eval_rows, "eval-next"), N)
    earlier = [r for p in range(K - 1) for r in by[("test", p)]]
    write_rows(os.path.join(root, "samples", "eval-earlier.jsonl"), sample(earlier, args.eval_rows, "eval-earlier"), N)
    write_rows(os.path.join(root, "samples", "val-next.jsonl"), sample(by[("val", K - 1)], args.val_rows, "val-next"), N)
    # Dataset folders as the update step knows the world: training rows of periods 1..T (grouped by user,
    # so cross-fitting folds keep users whole), val/test = the newest period's held-out samples.
    for T in (K - 1, K):
        folder = os.path.join(root, f"upto{T}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "id2name.txt"), "w", encoding="utf-8") as f:
            f.writelines(f"{n}::{ds.titles[n + 1]}\n" for n in range(N))
        with open(os.path.join(folder, "domain.txt"), "w") as f:
            f.write(ds.domain + "\n")
        train_rows = [r for u, rs in rows.items() if role(u) == "train" for r in rs if r["period"] < T]
        write_rows(os.path.join(folder, "train.jsonl"), train_rows, N)
        write_rows(os.path.join(folder, "val.jsonl"), sample(by[("val", T - 1)], args.val_rows, f"val-p{T}"), N)
        write_rows(os.path.join(folder, "test.jsonl"), sample(by[("test", T - 1)], args.eval_rows, f"test-p{T}"), N)
    period = cut_periods(interactions, K)
    day = lambda t: time.strftime("%Y-%m-%d", time.gmtime(t))
    summary = {"dataset": args.dataset, "periods": K, "interactions": len(interactions),
               "users": {"train": len(rows) - len(val_u) - len(test_u), "val": len(val_u), "test": len(test_u)},
               "per_period": [{"period": p + 1, "interactions": period.count(p),
                               "from": day(min(t for (_, _, t, _), q in zip(interactions, period) if q == p)),
                               "to": day(max(t for (_, _, t, _), q in zip(interactions, period) if q == p)),
                               **{f"{kind}_rows": len(by[(kind, p)]) for kind in ("train", "val", "test")},
                               "train_users": sum(role(u) == "train" and any(r["period"] == p for r in rs) for u, rs in rows.items())}
                              for p in range(K)],
               "samples": {"train_per_period": args.train_per_period, "eval_rows": args.eval_rows, "val_rows": args.val_rows},
               "seed": seed}
    with open(summary_path, "w") as f:
        json.dump(summary, f, indent=2)
    return summary


# --- 2. the recommender of each step ---------------------------------------------------------

def train_sasrec(root, T, fold, threads_, epochs=sasrec_epochs, patience=sasrec_patience):
    """SASRec on upto<T>'s training rows (without fold k of 2 for cross-fitting), early-stopped on period T's
    held-out val rows; saved where training.rank looks for it and its folds."""
    import torch
    from training import data, sasrec
    name = f"sasrec-upto{T}" + (f"-fold{fold}of2" if fold is not None else "")
    out = os.path.join(root, name)
    if os.path.isfile(os.path.join(out, "model.pt")):
        return None
    torch.set_num_threads(threads_)
    torch.manual_seed(seed)
    random.seed(seed)
    ds = data.load(os.path.join(root, f"upto{T}"))
    val = data.load_rows(os.path.join(root, "periods", f"p{T}_val.jsonl"), ds, "sasrec-val")
    train_rows = ds.train
    if fold is not None:
        fold_of = data.training_folds(ds.train, 2)
        train_rows = [r for r, f in zip(ds.train, fold_of) if f != fold]
    log(f"SASRec {name}: {len(train_rows)} training rows, {len(val)} val rows")
    model = sasrec.SASRec(ds.num_items, dim=sasrec.dim, max_len=sasrec.max_len, blocks=sasrec.num_blocks,
                          heads=sasrec.num_heads, dropout=sasrec.dropout)
    targs = argparse.Namespace(device="cpu", lr=sasrec.lr, seed=seed, epochs=epochs, model="sasrec",
                               batch_size=sasrec.batch_size, eval_every=sasrec.eval_every, patience=patience)
    t0 = time.time()
    best = sasrec.train(model, train_rows, val, targs)
    seconds = round(time.time() - t0, 1)
    os.makedirs(out, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "num_items": ds.num_items, "dim": sasrec.dim, "max_len": sasrec.max_len,
                "blocks": sasrec.num_blocks, "heads": sasrec.num_heads, "model": "sasrec"}, os.path.join(out, "model.pt.tmp"))
    os.replace(os.path.join(out, "model.pt.tmp"), os.path.join(out, "model.pt"))
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump({"val_hr1": best, "train_rows": len(train_rows), "train_seconds": seconds, "max_epochs": epochs,
                   "patience": patience}, f, indent=2)
    log(f"SASRec {name}: val HR@1 {best:.4f}, {seconds} s")
    return seconds


# --- 3. the rankers ----------------------------------------------------------------------------

def results_path(root, name):
    return os.path.join(root, "results", f"{name}.json")


def done(root, name):
    path = results_path(root, name)
    if os.path.isfile(path):
        with open(path) as f:
            return json.load(f)
    return None


def record(root, name, value):
    os.makedirs(os.path.join(root, "results"), exist_ok=True)
    with open(results_path(root, name) + ".tmp", "w") as f:
        json.dump(value, f)
    os.replace(results_path(root, name) + ".tmp", results_path(root, name))
    return value


def command(cmd, what):
    """Run a step; its wall time and its CPU time (user + system of the child: less sensitive to other load on
    the machine, so the cost ratios between variants hold when something else ran beside one of them)."""
    log(f"{what}: {' '.join(cmd)}")
    t0, c0 = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round(time.time() - t0, 1), round(c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime, 1)


def train_ranker(root, name, T, rows_file, args, init_from=None):
    """A training.rank run on upto<T> (its SASRec, popularity and mix) trained on rows_file only."""
    prior = done(root, f"train-{name}")
    if prior:
        return prior
    run = os.path.join(root, name)
    resumed = os.path.isdir(os.path.join(run, "checkpoint"))
    cmd = [sys.executable, "-m", "training.rank", "--dataset", os.path.join(root, f"upto{T}"),
           "--sasrec", os.path.join(root, f"sasrec-upto{T}", "model.pt"), "--run", run, "--rows", rows_file,
           "--train-samples", "0", "--eval-every", "0", "--no-eval", "--threads", str(args.threads), *rank_flags]
    if init_from:
        cmd += ["--init-from", os.path.join(root, init_from)]
    seconds, cpu = command(cmd, f"train {name}")
    with open(rows_file) as f:
        samples = sum(1 for line in f if line.strip())
    return record(root, f"train-{name}", {"seconds": seconds, "cpu_seconds": cpu, "samples": samples, "resumed": resumed,
                                          "rows": rows_file})


def combine(root, name, weight, args, long="long", short="short", grid=None):
    """training.lsat combine of long (L) and short (S): weight "auto" sweeps the grid on val-next.jsonl (and refits
    the fusion's a, b, β there at each w)."""
    prior = done(root, f"combine-{name}")
    if prior:
        return prior
    cmd = [sys.executable, "-m", "training.lsat", "combine", "--long-run", os.path.join(root, long),
           "--short-run", os.path.join(root, short), "--weight", str(weight), "--out", os.path.join(root, name),
           "--val-rows", os.path.join(root, "samples", "val-next.jsonl"), "--grid", grid or args.grid,
           "--threads", str(args.threads)]
    seconds, cpu = command(cmd, f"combine {name}")
    with open(os.path.join(root, name, "lsat.json")) as f:
        lsat = json.load(f)
    return record(root, f"combine-{name}", {"seconds": seconds, "cpu_seconds": cpu, "weight": lsat["weight"],
                                            "ensemble": lsat.get("ensemble"), "curve": lsat.get("curve")})


def evaluate(root, name, args):
    """A run's hits (fusion, LLM alone, recommender) and fused scores on the next-period and earlier rows."""
    prior = done(root, f"eval-{name}")
    if prior:
        return prior
    import torch
    from training import data, rank
    from training.llara import autocast_for
    torch.set_num_threads(args.threads)
    dev = torch.device("cpu")
    t0 = time.time()
    rargs, ranker, prompt, ds, recommender, item_table = rank.load_run(os.path.join(root, name), dev)
    autocast, _ = autocast_for(rargs, dev)
    out = {}
    for split in ("next", "earlier"):
        rows = data.load_rows(os.path.join(root, "samples", f"eval-{split}.jsonl"), ds, f"incremental-{split}")
        scores = {}
        res, hits = rank.evaluate_rows(rargs, ranker, prompt, ds, recommender, item_table, dev, autocast, rows,
                                       f"{name} {split}", rargs.hybrid != "off", scores=scores)
        fused = scores["features"] @ ranker.mix.data.cpu() + float(ranker.beta.data) * scores["llm"]
        out[split] = {"rows": len(rows), "hr1": res["hr1"], "beta": res["beta"], "mix": res["mix"],
                      "hits": {k: [int(h) for h in v] for k, v in hits.items()},
                      "fused": [[round(float(x), 5) for x in r] for r in fused],
                      "targets": [r.candidates.index(r.target) for r in rows]}
        log(f"eval {name} {split}: " + json.dumps({k: round(v, 4) for k, v in res["hr1"].items()}))
    out["seconds"] = round(time.time() - t0, 1)
    del ranker
    return record(root, f"eval-{name}", out)


def row_auc(scores, target):
    """AUC of one row: the share of the 19 sampled negatives scored below the true item (ties count half)."""
    t = scores[target]
    neg = [x for j, x in enumerate(scores) if j != target]
    return (sum(x < t for x in neg) + 0.5 * sum(x == t for x in neg)) / len(neg)


def mean_auc(fused, targets):
    return sum(row_auc(s, t) for s, t in zip(fused, targets)) / len(targets)


def ensemble_scores(long_eval, short_eval, w, split):
    return [[w * x + (1 - w) * y for x, y in zip(a, b)] for a, b in zip(long_eval[split]["fused"], short_eval[split]["fused"])]


def ensemble_hits(long_eval, short_eval, w):
    """(d): w·fused_L + (1−w)·fused_S, L read with the newest recommender (the w = 1 combined run)."""
    out = {}
    for split in ("next", "earlier"):
        hits = []
        for a, b, t in zip(long_eval[split]["fused"], short_eval[split]["fused"], long_eval[split]["targets"]):
            s = [w * x + (1 - w) * y for x, y in zip(a, b)]
            hits.append(int(max(range(len(s)), key=s.__getitem__) == t))
        out[split] = hits
    return out


# --- 4. the table ----------------------------------------------------------------------------------

def mmss(seconds):
    return "—" if seconds is None else f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def table(root, summary, sasrec_seconds):
    from training import stats
    K = summary["periods"]
    ev = {n: done(root, f"eval-{n}") for n in ("full", "finetune", "lsat", "long", "long-at", "short", "full-refit",
                                               "finetune-refit")}
    tr = {n: done(root, f"train-{n}") for n in ("full", "finetune", "short", "long")}
    comb = done(root, "combine-lsat")
    refits = {n: done(root, f"combine-{n}-refit") for n in ("full", "finetune")}
    variants = []  # (label, samples, (wall, CPU seconds) or None, hits next, hits earlier, LLM-alone next)
    cost = lambda *steps: (sum(x["seconds"] for x in steps), sum(x.get("cpu_seconds", 0) for x in steps))
    fusion = lambda e, s: e[s]["hits"]["fusion"] if e else None
    aucs = {}  # label -> (AUC next, AUC earlier) of the fused scores
    auc_of = lambda e: (mean_auc(e["next"]["fused"], e["next"]["targets"]), mean_auc(e["earlier"]["fused"], e["earlier"]["targets"]))
    if ev["full"]:
        variants.append(("(a) full retrain, periods 1–%d" % K, tr["full"]["samples"], cost(tr["full"]),
                         fusion(ev["full"], "next"), fusion(ev["full"], "earlier"), ev["full"]["next"]["hr1"]["llm"]))
    if ev["finetune"]:
        variants.append((f"(b) fine-tune L on period {K}", tr["finetune"]["samples"], cost(tr["finetune"]),
                         fusion(ev["finetune"], "next"), fusion(ev["finetune"], "earlier"), ev["finetune"]["next"]["hr1"]["llm"]))
    for n, label in (("full", "(a') full retrain"), ("finetune", f"(b') fine-tune L on period {K}")):
        if ev[f"{n}-refit"] and refits[n]:
            variants.append((f"{label}, fusion refitted on val", tr[n]["samples"], cost(tr[n], refits[n]),
                             fusion(ev[f"{n}-refit"], "next"), fusion(ev[f"{n}-refit"], "earlier"),
                             ev[f"{n}-refit"]["next"]["hr1"]["llm"]))
    if ev["lsat"] and comb:
        variants.append((f"(c) LSAT weight average, w = {comb['weight']}", tr["short"]["samples"],
                         cost(tr["short"], comb), fusion(ev["lsat"], "next"), fusion(ev["lsat"], "earlier"),
                         ev["lsat"]["next"]["hr1"]["llm"]))
    if ev["long-at"] and ev["short"] and comb and comb.get("ensemble"):
        w = comb["ensemble"]["weight"]
        h = ensemble_hits(ev["long-at"], ev["short"], w)
        variants.append((f"(d) LSAT output ensemble, w = {w} (2 models at serving)", tr["short"]["samples"],
                         cost(tr["short"], comb), h["next"], h["earlier"], None))
    refs = []
    if ev["long"]:
        refs.append((f"ref: L alone, no update (periods 1–{K - 1}, its own SASRec)", tr["long"]["samples"], None,
                     fusion(ev["long"], "next"), fusion(ev["long"], "earlier"), ev["long"]["next"]["hr1"]["llm"]))
    if ev["short"]:
        refs.append((f"ref: S alone (period {K} only, w = 0)", tr["short"]["samples"], cost(tr["short"]),
                     fusion(ev["short"], "next"), fusion(ev["short"], "earlier"), ev["short"]["next"]["hr1"]["llm"]))
    any_eval = next((e for e in (ev["full"], ev["short"], ev["finetune"]) if e), None)
    if any_eval:
        refs.append((f"ref: SASRec alone (periods 1–{K}), no LLM", "—", None, any_eval["next"]["hits"]["sasrec"],
                     any_eval["earlier"]["hits"]["sasrec"], None))
    prefixes = {"full": "(a)", "finetune": "(b)", "full-refit": "(a')", "finetune-refit": "(b')", "lsat": "(c)",
                "long": "ref: L alone", "short": "ref: S alone"}
    for label, key in ((v[0], k) for v in variants + refs for k in prefixes if v[0].startswith(prefixes[k])):
        aucs[label] = auc_of(ev[key])
    if ev["long-at"] and ev["short"] and comb and comb.get("ensemble"):
        w = comb["ensemble"]["weight"]
        aucs[next(v[0] for v in variants if v[0].startswith("(d)"))] = tuple(
            mean_auc(ensemble_scores(ev["long-at"], ev["short"], w, s), ev["long-at"][s]["targets"]) for s in ("next", "earlier"))
    full_next = variants[0][3] if variants and variants[0][0].startswith("(a)") else None
    full_cost = variants[0][2] if variants and variants[0][0].startswith("(a)") else None
    lines = ["| variant | train samples | wall time | CPU time (share of full) | HR@1 next period (rows) | HR@1 earlier periods (rows) | "
             "vs full retrain, next (Δ, wins/losses, McNemar p) | LLM alone, next | AUC next / earlier |",
             "|---|---:|---:|---:|---:|---:|---|---:|---:|"]
    for label, n, sec, nxt, early, llm in variants + refs:
        share = f" ({sec[1] / full_cost[1]:.0%})" if sec and full_cost and full_cost[1] else ""
        cpu = "—" if sec is None else mmss(sec[1]) + share
        hr = lambda h: f"{sum(h) / len(h):.3f} ({len(h)})"
        if full_next is not None and nxt is not full_next:
            c = stats.paired(nxt, full_next)
            vs = f"{c['diff']:+.3f}, {c['wins']}/{c['losses']}, p = {c['p_mcnemar']:.2g}"
        else:
            vs = "—"
        auc = f"{aucs[label][0]:.3f} / {aucs[label][1]:.3f}" if label in aucs else "—"
        lines.append(f"| {label} | {n} | {mmss(sec and sec[0])} | {cpu} | {hr(nxt)} | {hr(early)} | {vs} | "
                     f"{'—' if llm is None else f'{llm:.3f}'} | {auc} |")
    notes = [f"SASRec retraining (full + 2 folds, upto{K - 1} and upto{K}; shared by all variants): {mmss(sasrec_seconds)}"
             if sasrec_seconds else "SASRec retraining: done in an earlier invocation (see sasrec-*/result.json)"]
    if comb and tr["short"]:
        notes.append(f"LSAT's cost: the short-term LoRA {mmss(tr['short']['seconds'])} wall / {mmss(tr['short'].get('cpu_seconds', 0))} CPU, "
                     f"the w sweep ({len(comb['curve'] or [])} weights on the val rows) {mmss(comb['seconds'])} wall / "
                     f"{mmss(comb.get('cpu_seconds', 0))} CPU")
    if comb:
        notes.append("LSAT w curve on val-next (HR@1): " + ", ".join(f"{p['w']}: {p['hr1']:.3f}" for p in comb["curve"] or []))
        if comb.get("ensemble"):
            notes.append("ensemble w curve on val-next (HR@1): " + ", ".join(f"{p['w']}: {p['hr1']:.3f}" for p in comb["ensemble"]["curve"]))
    return "\n".join(lines), notes


# --- the whole bench -------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=dataset, choices=["movielens"], help="needs timestamps: MovieLens' u.data")
    ap.add_argument("--periods", type=int, default=periods)
    ap.add_argument("--train-per-period", type=int, default=train_per_period)
    ap.add_argument("--eval-rows", type=int, default=eval_rows)
    ap.add_argument("--val-rows", type=int, default=val_rows)
    ap.add_argument("--grid", default=grid)
    ap.add_argument("--sasrec-epochs", type=int, default=sasrec_epochs, help="SASRec's epoch cap (early stopping on val)")
    ap.add_argument("--threads", type=int, default=threads)
    ap.add_argument("--out", default=None, help="default: training/runs/incremental-<dataset>")
    ap.add_argument("--data-only", action="store_true", help="write the periods, folders and samples, then stop")
    args = ap.parse_args()
    if args.periods < 2:
        sys.exit("error: --periods must be at least 2 (a long-term model and an update)")
    root = args.out or os.path.join(out_root, f"incremental-{args.dataset}")
    K = args.periods
    summary = build_data(root, args)
    if (summary["periods"], summary["samples"]["train_per_period"]) != (K, args.train_per_period):
        sys.exit(f"error: {root} was built with {summary['periods']} periods and {summary['samples']['train_per_period']} "
                 "training rows per period: use those flags, or a new --out")
    log("periods: " + json.dumps(summary["per_period"]))
    if args.data_only:
        return
    sasrec_seconds = 0.0
    for T in (K - 1, K):
        for fold in (None, 0, 1):
            sasrec_seconds += train_sasrec(root, T, fold, args.threads, args.sasrec_epochs) or 0.0
    samples = lambda f: os.path.join(root, "samples", f)
    train_ranker(root, "long", K - 1, samples(f"train-upto{K - 1}.jsonl"), args)
    train_ranker(root, "short", K, samples(f"train-p{K}.jsonl"), args)
    combine(root, "lsat", "auto", args)
    combine(root, "long-at", 1.0, args)  # L read with the newest recommender: one end of the ensemble
    train_ranker(root, "full", K, samples(f"train-upto{K}.jsonl"), args)
    for name in ("full", "lsat", "long-at", "short"):
        evaluate(root, name, args)
    train_ranker(root, "finetune", K, samples(f"train-p{K}.jsonl"), args, init_from="long")
    evaluate(root, "finetune", args)
    evaluate(root, "long", args)  # reference: no update at all
    # LSAT's sweep refits the fusion's a, b, β on val-next; give the full retrain and the fine-tune the same
    # refit (each combined with itself at w = 1: its own adapter), so that is not what tells them apart.
    for name in ("full", "finetune"):
        combine(root, f"{name}-refit", "auto", args, long=name, short=name, grid="1")
        evaluate(root, f"{name}-refit", args)
    text, notes = table(root, summary, sasrec_seconds)
    print(f"\nincremental update, {args.dataset}, {K} periods (update with period {K}); ranking head (item head, "
          f"20 candidates), fused with SASRec + popularity\n")
    print(text)
    for n in notes:
        print("- " + n)


if __name__ == "__main__":
    main()
