"""
LLaRA's protocol: HitRatio@1 and ValidRatio over 20 candidates; every ranker on the same rows.

    python -m training.evaluate --dataset movielens      # popularity, GRU4Rec-style, SASRec on val + test
    python -m training.evaluate --dataset goodbooks --split test \
        --rank-run training/runs/rank-goodbooks --llara-run demo/goodbooks-model
    python -m training.evaluate --dataset lastfm --data my_rows.jsonl --rank-run training/runs/rank-lastfm

With a split or `--data FILE` (LLaRA's rows: {"seq": [...padded], "len_seq": n, "next": id}, the
dataset's 0-based ids; MovieLens' [id, rating] pairs too), it scores ALL rows with every ranker it
has — popularity, GRU, SASRec, the listwise ranker of a `training.rank` run (LLM alone, the
recommender's mix, the fusion) and LLaRA's title generation of a `training.llara` run (free greedy
and constrained) — and prints HR@1 with a paired comparison against SASRec on the same rows:
difference, 95 % bootstrap interval, McNemar's exact p (training/stats.py).

Definitions (as LLaRA's code):
- An LLM output is valid when exactly one candidate title occurs in it (lower-cased substring).
- HR@1 (valid) = correct / valid outputs (LLaRA's number); HR@1 (all) = correct / all rows (ours too).
- ValidRatio = valid / all rows. Constrained decoding and the baselines always pick a candidate, so
  their ValidRatio is 1.0 and both HR@1 figures coincide.
The baselines score the 20 candidates and take the top one: popularity (interaction count in the
training rows), a GRU4Rec-style GRU and SASRec (checkpoints from `python -m training.sasrec`).
"""

import argparse
import json
import os
import sys

import torch

from training import data, stats

# -----------------------------------------------------------------------------
runs = "training/runs"
# LLaRA's README (after its 2024-07 fix), for the table beside ours.
PUBLISHED = {"movielens": {"LLaRA(SASRec)": {"valid_ratio": 0.9789, "hr1_valid": 0.4526}},
             "lastfm": {"LLaRA(SASRec)": {"valid_ratio": 0.9754, "hr1_valid": 0.5246}}}
# -----------------------------------------------------------------------------


def is_valid_and_hit(output: str, candidate_titles, target_title):
    """LLaRA's rule: valid when exactly one candidate title occurs in the output (lower-cased substring)."""
    out = output.lower()
    found = [t for t in candidate_titles if t.lower() in out]
    valid = len(found) == 1
    return valid, valid and found[0] == target_title


def metrics_of(valid, hits):
    n, v, h = len(valid), sum(valid), sum(hits)
    return {"rows": n, "valid_ratio": v / max(1, n), "hr1_valid": h / max(1, v), "hr1_all": h / max(1, n)}


def baselines(dataset, data_dir=None):
    from training.sasrec import hit_ratio_at_1, load_checkpoint, popularity_hit_ratio
    ds = data.load(dataset, data_dir)
    out = {}
    for split in ("val", "test"):
        rows = getattr(ds, split)
        if not rows:
            continue
        res = {"popularity": popularity_hit_ratio(ds.train, rows)}
        for kind in ("gru", "sasrec"):
            ck = os.path.join(runs, f"{kind}-{dataset}", "model.pt")
            if os.path.isfile(ck):
                res[kind] = hit_ratio_at_1(load_checkpoint(ck), rows, torch.device("cpu"))
            else:
                print(f"note: {ck} not found, run python -m training.sasrec --dataset {dataset} --model {kind}",
                      file=sys.stderr)
        out[split] = {"rows": len(rows), **res}
    return out


def rows_from_file(path, ds):
    """LLaRA-format rows of this dataset's items, with LLaRA's 20 candidates (fixed seed)."""
    import random
    pad = ds.num_items  # LLaRA pads with the item count (0-based ids)
    item_of = lambda x: x[0] if isinstance(x, list) else x  # MovieLens' rows hold [id, rating]
    pairs = data._read_llara_jsonl(path, pad, item_of=item_of)
    for ln, (hist, nxt) in enumerate(pairs, 1):
        bad = [i for i in hist + [nxt] if not 1 <= i <= ds.num_items]
        if bad:
            raise data.DataError(f"{path}: row {ln} names item id(s) {[i - 1 for i in bad]} not in {ds.name} (0..{ds.num_items - 1})")
    return data._with_candidates(pairs, ds.num_items, random.Random(f"{data.seed}-{path}"))


def all_rankers(dataset, rows, ds, rank_run=None, llara_run=None, threads=1):
    """Per-row hits of every ranker available for this dataset, on the given rows."""
    from training.sasrec import left_pad, load_checkpoint
    counts = {}
    for r in ds.train:
        for i in r.history + [r.target]:
            counts[i] = counts.get(i, 0) + 1
    hits = {"popularity": [max(r.candidates, key=lambda c: counts.get(c, 0)) == r.target for r in rows]}
    for kind, label in (("gru", "GRU4Rec-style"), ("sasrec", "SASRec")):
        ck = os.path.join(runs, f"{kind}-{dataset}", "model.pt")
        if not os.path.isfile(ck):
            print(f"note: {ck} not found (python -m training.sasrec --dataset {dataset} --model {kind})", file=sys.stderr)
            continue
        model = load_checkpoint(ck)
        with torch.no_grad():
            seq = left_pad([r.history for r in rows], model.max_len)
            cands = torch.tensor([r.candidates for r in rows])
            best = cands.gather(1, model.predict(seq, cands).argmax(1, keepdim=True)).squeeze(1).tolist()
        hits[label] = [b == r.target for b, r in zip(best, rows)]
    dev = torch.device("cpu")
    extra = {}
    if rank_run:
        from training import rank
        res, rank_hits = rank.score_run(rank_run, rows, dev)
        hits.update(rank_hits)
        extra["rank_run"] = {"run": rank_run, "beta": res["beta"], "mix": res["mix"]}
    if llara_run:
        from training import llara
        args = argparse.Namespace(dtype="auto")
        hits.update(llara.score_rows(llara_run, ds, rows, dev, llara.autocast_for(args, dev)[0]))
        extra["llara_run"] = llara_run
    return hits, extra


def table(hits, reference="SASRec"):
    """Markdown rows: HR@1 of each ranker and its paired comparison with the reference."""
    n = len(next(iter(hits.values())))
    lines = [f"| ranker | rows | HR@1 | Δ vs {reference} | 95 % CI | wins / losses | McNemar p |", "|---|---:|---:|---:|---|---:|---:|"]
    summary = {}
    for name, h in hits.items():
        hr = sum(h) / max(1, n)
        if reference in hits and name != reference:
            c = stats.paired(h, hits[reference])
            lines.append(f"| {name} | {n} | {hr:.4f} | {c['diff']:+.4f} | [{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}] | "
                         f"{c['wins']} / {c['losses']} | {c['p_mcnemar']:.3g} |")
            summary[name] = {"hr1": hr, "vs_" + reference: c}
        else:
            lines.append(f"| {name} | {n} | {hr:.4f} | — | — | — | — |")
            summary[name] = {"hr1": hr}
    return "\n".join(lines), summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="movielens")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--split", default=None, help="score every ranker on this split (val or test), all rows")
    ap.add_argument("--data", default=None, help="score every ranker on the rows of this LLaRA-format file")
    ap.add_argument("--rank-run", default=None, help="a training.rank run: LLM alone, mix and fusion")
    ap.add_argument("--llara-run", default=None, help="a training.llara run (or demo/goodbooks-model): title generation")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    try:
        if args.split or args.data:
            ds = data.load(args.dataset, args.data_dir)
            rows = rows_from_file(args.data, ds) if args.data else getattr(ds, args.split)
            if not rows:
                raise data.DataError(f"{args.dataset} has no {args.split} rows")
            hits, extra = all_rankers(args.dataset, rows, ds, args.rank_run, args.llara_run, args.threads)
            text, summary = table(hits)
            where = args.data or args.split
            out = os.path.join(runs, f"eval-{args.dataset}-{os.path.basename(where).replace('.jsonl', '')}.json")
            os.makedirs(runs, exist_ok=True)
            with open(out, "w") as f:
                json.dump({"dataset": args.dataset, "rows": where, "summary": summary, **extra,
                           "hits": {k: [int(x) for x in v] for k, v in hits.items()}}, f, indent=1)
            print(f"{args.dataset}, {where}:\n{text}\n(per-row hits: {out})")
            return
        res = baselines(args.dataset, args.data_dir)
    except (data.DataError, FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")
    os.makedirs(runs, exist_ok=True)
    with open(os.path.join(runs, f"baselines-{args.dataset}.json"), "w") as f:
        json.dump(res, f, indent=2)
    print(f"| {args.dataset} | split | rows | popularity | GRU4Rec-style | SASRec |")
    for split, r in res.items():
        cells = [f"{r[k]:.4f}" if k in r else "—" for k in ("popularity", "gru", "sasrec")]
        print(f"| | {split} | {r['rows']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
