"""
The issue's pooled target: the fusion against the strongest baseline of each split, over several
runs' evaluated splits taken together (each row paired with itself), from their eval.json hits.

    python -m training.pooled training/runs/rank-lastfm-i1:val training/runs/rank-movielens-i1:val,test \\
        training/runs/rank-goodbooks-i2:test

Prints one row per split and the pooled row: HR@1 of the fusion, of the split's strongest baseline
and of SASRec, and the paired comparisons (difference, 95 % bootstrap interval, wins / losses,
McNemar's exact p).
"""

import argparse
import json
import os

from training import stats


def load_splits(spec):
    run, splits = spec.split(":")
    with open(os.path.join(run, "eval.json")) as f:
        evaluated = json.load(f)
    for split in splits.split(","):
        if split not in evaluated:
            raise SystemExit(f"{run}/eval.json has no {split!r} (it has {', '.join(evaluated)})")
        r = evaluated[split]
        yield f"{os.path.basename(os.path.normpath(run))}:{split}", r["hits"], r["strongest_baseline"]


def row(name, fusion, baseline, sasrec, baseline_name):
    n = len(fusion)
    vs_base, vs_sasrec = stats.paired(fusion, baseline), stats.paired(fusion, sasrec)
    fmt = lambda c: f"{c['diff']:+.3f} [{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}], {c['wins']}/{c['losses']}, p {c['p_mcnemar']:.2g}"
    return (f"| {name} | {n} | {sum(fusion) / n:.4f} | {baseline_name} {sum(baseline) / n:.4f} | {sum(sasrec) / n:.4f} | "
            f"{fmt(vs_base)} | {fmt(vs_sasrec)} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("specs", nargs="+", help="RUN:split[,split]")
    args = ap.parse_args()
    pooled = {"fusion": [], "baseline": [], "sasrec": []}
    print("| split | rows | fusion | strongest baseline | SASRec | fusion − strongest (CI, wins/losses, p) | fusion − SASRec |")
    print("|---|---:|---:|---|---:|---|---|")
    for spec in args.specs:
        for name, hits, strongest in load_splits(spec):
            fusion, baseline, sasrec = hits["fusion"], hits[strongest], hits["sasrec"]
            print(row(name, fusion, baseline, sasrec, strongest))
            pooled["fusion"] += fusion
            pooled["baseline"] += baseline
            pooled["sasrec"] += sasrec
    print(row("**pooled**", pooled["fusion"], pooled["baseline"], pooled["sasrec"], "each split's"))


if __name__ == "__main__":
    main()
