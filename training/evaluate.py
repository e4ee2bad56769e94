"""
LLaRA's protocol: HitRatio@1 and ValidRatio over 20 candidates; the baselines on the same rows.

    python -m training.evaluate --dataset movielens      # popularity, GRU4Rec-style, SASRec on val + test
    python -m training.llara --eval-only --run training/runs/llara-movielens   # the LLM (both decodings)

Definitions (as LLaRA's code; DESIGN.md):
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

from training import data

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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="movielens", choices=data.DATASETS)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    try:
        res = baselines(args.dataset, args.data_dir)
    except data.DataError as e:
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
