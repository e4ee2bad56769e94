"""
The incremental update the app runs (`npm run update`, or the button on /insights): LSAT (Shan et al.,
arXiv 2312.15599) on the serving version's ranking head. The serving version keeps its long-term LoRA
(the adapter of the rank run it was exported from, packed in its training/ folder); a short-term LoRA is
trained on the newest period only (the interactions and feedback since that version), the two are
averaged, W + w·ΔW_long + (1−w)·ΔW_short with w chosen on the newest period's held-out users, and the
result is exported as a candidate version whose graph has the combined ΔW merged in (serving costs
nothing extra). The candidate carries the same long-term LoRA on, so the next update combines it with
the next period's short-term one; refreshing the long-term LoRA is a full `training.rank` run (see
docs/BENCHMARKS.md, "Incremental updates", for when that pays).

One stage per command, each a separate process (the app's job runner starts them one after another,
cancels by stopping the process, and deletes the work folder when anything fails):

    python -m training.update prepare  --version-dir models/v1 --export EXPORT_DIR --work WORK
    python -m training.update train    --work WORK [--train-samples 0] [--epochs 1] [--threads 2]
    python -m training.update combine  --work WORK
    python -m training.update evaluate --work WORK
    python -m training.update package  --work WORK --version NAME [--no-int8] [--no-fused]

EXPORT_DIR holds what the app's export stage writes (interactions.jsonl {user, item, at, kind, value},
items.jsonl {id, title}). WORK receives data/ (the newest period as a dataset folder in the serving
version's item order; held-out users give val and test), runs/ (SASRec, copied), short/, combined/,
update.json (what each stage found) and, from package, version/ (the candidate version folder).
Every stage prints `{"progress": f}` lines on stdout; an error is one `error: ...` line on stderr.
"""

import argparse
import json
import os
import shutil
import sys

# -----------------------------------------------------------------------------
train_samples = 0  # 0 = every training row of the newest period
epochs = 1
threads = 2
min_train_rows = 1  # fewer rows than this: nothing to learn from, the update stops with the counts
weight_grid = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # LSAT's w candidates: each a pass over the val rows (after the first, through the LoRA layers only)
refresh_below = 0.5  # a chosen w below this says the long-term LoRA is stale: the log recommends a full retrain
val_rows = 200  # at most this many held-out rows choose w (fixed seed): the sweep is most of an update's cost
holdout = 0.15  # users held out for val and for test each (one row each): w and the candidate's HR@1 rest on
                # them, so more than a full training run holds out (5 %: 19 rows on MovieLens' newest third)
# -----------------------------------------------------------------------------


class UpdateError(Exception):
    pass


def progress(fraction):
    print(json.dumps({"progress": round(min(1.0, max(0.0, fraction)), 4)}), flush=True)


def read_state(work):
    path = os.path.join(work, "update.json")
    if not os.path.isfile(path):
        raise UpdateError(f"{work} has no update.json: run the prepare stage first")
    with open(path) as f:
        return json.load(f)


def write_state(work, state):
    with open(os.path.join(work, "update.json.tmp"), "w") as f:
        json.dump(state, f, indent=2)
    os.replace(os.path.join(work, "update.json.tmp"), os.path.join(work, "update.json"))


# --- 1. prepare: the newest period as a dataset in the serving version's item space -------------------------

def long_term_run(version_dir):
    """The serving version's long-term LoRA: the rank run packed in its training/ folder."""
    manifest_path = os.path.join(version_dir, "manifest.json")
    if not os.path.isfile(manifest_path):
        raise UpdateError(f"{version_dir} is not a model version folder (no manifest.json)")
    with open(manifest_path) as f:
        manifest = json.load(f)
    run = os.path.join(version_dir, "training")
    if not manifest.get("ranking"):
        raise UpdateError(f"version {manifest.get('version')} ranks by title generation (training.llara): an incremental "
                          "update trains the ranking head, so it needs a version exported from a training.rank run")
    if not os.path.isfile(os.path.join(run, "info.json")):
        raise UpdateError(f"version {manifest.get('version')} has no training/ folder (its LoRA adapter): re-export it "
                          "with python -m training.export --run <its rank run> to make it updatable")
    with open(os.path.join(run, "info.json")) as f:
        info = json.load(f)
    if info.get("kind") != "rank":
        raise UpdateError(f"{run} is not a training.rank run (kind {info.get('kind', 'llara')!r})")
    return manifest, run, info


def item_space(version_dir, manifest):
    """[(external id, title, creator or None)] in the version's row order (row 1 first)."""
    with open(os.path.join(version_dir, manifest["items"]["file"]), encoding="utf-8") as f:
        rows = json.load(f)["rows"]
    clean = lambda s: " ".join(str(s).split())  # one line, no tabs: id2name.txt and items.tsv are line formats
    return [(str(r["id"]), clean(r["title"]), clean(r["creator"]) if r.get("creator") else None)
            for r in sorted(rows, key=lambda r: r["row"])]


def prepare(version_dir, export_dir, work):
    from training import data
    manifest, long_run, long_info = long_term_run(version_dir)
    progress(0.05)
    folder = os.path.join(work, "data")
    os.makedirs(folder, exist_ok=True)
    counts = data.convert(os.path.join(export_dir, "interactions.jsonl"), os.path.join(export_dir, "items.jsonl"), folder,
                          item_space=item_space(version_dir, manifest), holdout=holdout)
    with open(os.path.join(folder, "domain.txt"), "w") as f:
        f.write(manifest["prompt"]["domain"] + "\n")
    progress(0.8)
    if counts["train"] < min_train_rows or counts["val"] < 1:
        raise UpdateError(f"not enough new data to learn from: {counts['interactions']} interactions with known items from "
                          f"{counts['users']} users gave {counts['train']} training rows and {counts['val']} validation rows "
                          f"(a user needs {data.min_history + 1} liked items; at least {min_train_rows} training row and "
                          "1 validation row are needed)")
    # The serving version's SASRec scores the new rows. It never saw them, so it also stands in for the
    # cross-fitting folds training.rank asks for (they exist to hide a row from the model that scores it).
    sasrec_src = os.path.join(long_run, "sasrec.pt")
    runs = os.path.join(work, "runs")
    for name in ("sasrec-data", "sasrec-data-fold0of2", "sasrec-data-fold1of2"):
        os.makedirs(os.path.join(runs, name), exist_ok=True)
        shutil.copy(sasrec_src, os.path.join(runs, name, "model.pt"))
    state = {"version_dir": os.path.abspath(version_dir), "parent": manifest["version"], "long_run": os.path.abspath(long_run),
             "data": counts}
    write_state(work, state)
    progress(1)
    print(f"newest period: {counts['interactions']} interactions ({counts['outside_item_space']} with items the model does "
          f"not know, left out), {counts['users']} users -> {counts['train']} training, {counts['val']} val, "
          f"{counts['test']} test rows")
    return state


# --- 2. train: the short-term LoRA, from zero, on the newest period only ------------------------------------

def train(work, samples=train_samples, epochs_=epochs, threads_=threads):
    import torch
    from training import rank
    state = read_state(work)
    with open(os.path.join(state["long_run"], "info.json")) as f:
        long_info = json.load(f)
    from training.llara import run_paths
    base_dir, _ = run_paths(state["long_run"], long_info)
    torch.set_num_threads(threads_)
    layers = long_info["lora"]["layers"]
    if layers == "all":
        with open(os.path.join(base_dir, "config.json")) as f:
            layers = json.load(f)["num_hidden_layers"]
    # The long run's prompt and head, so both adapters' scores are read the same way (lsat.check_compatible).
    args = argparse.Namespace(
        dataset=os.path.join(work, "data"), data_dir=None, base=base_dir, sasrec=os.path.join(work, "runs", "sasrec-data", "model.pt"),
        run=os.path.join(work, "short"), rows=None, init_from=None, train_samples=samples, epochs=epochs_,
        micro_batch=rank.micro_batch, grad_accum=rank.grad_accum, lr=long_info.get("lr", rank.lr),
        fusion_lr=long_info.get("fusion_lr", rank.fusion_lr), lora_layers=layers, hybrid=long_info["hybrid"],
        head=long_info.get("head", "labels"), order=long_info["order"], title_tokens=long_info["title_tokens"],
        with_creator=long_info.get("with_creator", False), beta_init=rank.beta_init,
        aux_weight=long_info.get("aux_weight", rank.aux_weight), keep_lm=0.0, request_share=0.0, catalog=None,
        eval_every=0, save_every=rank.save_every, seed=rank.seed, threads=threads_, device="cpu", dtype="auto")
    rank.train(args, on_step=lambda step, total: progress(step / total))
    with open(os.path.join(args.run, "info.json")) as f:
        short = json.load(f)
    state["short"] = {"train_rows": short["train_rows"], "total_steps": short["total_steps"]}
    write_state(work, state)


# --- 3. combine: LSAT weight averaging, w on the newest period's held-out (val) users -----------------------

def combine(work, threads_=threads):
    import torch
    from training import lsat
    torch.set_num_threads(threads_)
    state = read_state(work)
    progress(0.05)
    result = lsat.combine_runs(state["long_run"], os.path.join(work, "short"), "auto", os.path.join(work, "combined"),
                               grid=weight_grid, samples=val_rows)  # the data's val split: the rows evaluate scores too
    state["lsat"] = {k: result[k] for k in ("weight", "curve", "ensemble", "validation", "fusion") if k in result}
    write_state(work, state)
    progress(1)
    print(f"LSAT weight w = {result['weight']} (long-term share), chosen on {result['validation']['rows']} val rows")
    if result["weight"] < refresh_below:
        print(f"w < {refresh_below}: the new data outweighs the long-term LoRA; plan a full retrain (training.rank on all "
              "periods) to refresh it")


# --- 4. evaluate: the candidate on the held-out recent slice (val picks β, test is reported) -------------------

def evaluate(work, threads_=threads):
    import torch
    from training import rank
    torch.set_num_threads(threads_)
    state = read_state(work)
    progress(0.05)
    results = rank.run_eval(argparse.Namespace(run=os.path.join(work, "combined"), device="cpu", data_dir=None,
                                               splits="val,test"))
    state["eval"] = {split: {"rows": r["rows"], "hr1": r["hr1"]} for split, r in results.items() if "+" not in split}
    write_state(work, state)
    progress(1)


# --- 5. package: the candidate version folder, with the long-term LoRA carried on ---------------------------

def package(work, version, int8=None, fused=None, threads_=threads):
    """int8, fused: the serving graphs to build; by default the parent's (and the int8 graph must pass the
    accuracy check when the parent's did)."""
    import torch
    from training import export, rank
    from training.demo_model import pack
    torch.set_num_threads(threads_)
    state = read_state(work)
    with open(os.path.join(state["version_dir"], "manifest.json")) as f:
        parent = json.load(f)
    int8 = bool(parent.get("llm_int8")) if int8 is None else int8
    fused = bool(parent.get("fused")) if fused is None else fused
    require_int8 = int8 and bool(parent.get("parity", {}).get("int8", {}).get("accepted"))
    out = os.path.join(work, "version")
    shutil.rmtree(out, ignore_errors=True)
    progress(0.05)
    hybrid, tokenizer, sasrec, items, info, ranking = rank.load_for_export(os.path.join(work, "combined"))
    metrics = [{"dataset": "app, newest period", "split": split, "rows": e["rows"], "decoding": "ranking head (fusion)",
                "hr1_all": e["hr1"]["fusion"]} for split, e in state.get("eval", {}).items()]
    export.export_version(out, hybrid, tokenizer, sasrec, items, info["domain"], version, info["base"], metrics=metrics,
                          parent=state["parent"], int8=int8, require_int8_accuracy=require_int8, ranking=ranking, fused=fused)
    progress(0.9)
    pack(state["long_run"], os.path.join(out, "training"), quiet=True)  # the long-term LoRA, for the next update
    with open(os.path.join(out, "training", "lsat.json"), "w") as f:
        json.dump({"parent": state["parent"], "data": state["data"], "short": state.get("short"), **state.get("lsat", {}),
                   "eval": state.get("eval")}, f, indent=2)
    state["version"] = version
    write_state(work, state)
    progress(1)
    print(f"wrote candidate {version} to {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="stage", required=True)
    for name in ("prepare", "train", "combine", "evaluate", "package"):
        s = sub.add_parser(name)
        s.add_argument("--work", required=True, help="the update's work folder")
        s.add_argument("--threads", type=int, default=threads)
        if name == "prepare":
            s.add_argument("--version-dir", required=True, help="the serving version folder")
            s.add_argument("--export", required=True, help="the folder with interactions.jsonl and items.jsonl")
        if name == "train":
            s.add_argument("--train-samples", type=int, default=train_samples, help="0 = all")
            s.add_argument("--epochs", type=int, default=epochs)
        if name == "package":
            s.add_argument("--version", required=True, help="the candidate's version name")
            s.add_argument("--no-int8", action="store_true", help="no int8 graph (default: as the parent version)")
            s.add_argument("--no-fused", action="store_true", help="no fused graphs (default: as the parent version)")
    args = ap.parse_args()
    if os.environ.get("RECO_UPDATE_EXIT_WITH_PARENT"):
        # Started by the app's job runner: when it dies its end of stdin closes, and this stage stops too
        # instead of writing into a folder the next start deletes.
        import threading
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(3)), daemon=True).start()
    from training.data import DataError
    from training.export import ExportError
    try:
        if args.stage == "prepare":
            prepare(args.version_dir, args.export, args.work)
        elif args.stage == "train":
            train(args.work, args.train_samples, args.epochs, args.threads)
        elif args.stage == "combine":
            combine(args.work, args.threads)
        elif args.stage == "evaluate":
            evaluate(args.work, args.threads)
        else:
            package(args.work, args.version, False if args.no_int8 else None, False if args.no_fused else None, args.threads)
    except (UpdateError, DataError, ExportError, FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
