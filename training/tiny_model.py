"""
The tiny test model: random weights, Llama architecture, 2 layers, a ~600-token BPE vocabulary,
exported by the same code as real models (training/export.py) into tests/fixtures/tiny-model/.

    python -m training.tiny_model                # rewrites tests/fixtures/tiny-model/ (< 5 MB)

The tokenizer is a byte-level BPE trained with the `tokenizers` library on the goodbooks titles and
the prompt templates, with SmolLM2's special tokens and chat template, plus the slot tokens
[HistoryEmb] [CansEmb] [PH]. Items are the first 40 goodbooks books (CC BY-SA 4.0; see NOTICE.txt).
Weights are drawn with a fixed seed and a larger init than usual so that logits are well separated
(a parity check on near-ties would be flaky).
"""

import argparse
import copy
import csv
import os
import shutil
import sys

import torch

from training import prompts
from training.export import export_version
from training.hybrid import HybridLM, Projector, add_slot_tokens
from training.sasrec import SASRec

# -----------------------------------------------------------------------------
out_dir = "tests/fixtures/tiny-model"
books_csv = "../shared/data/goodbooks/books.csv"
num_items = 40
vocab_size = 600
seed = 0
# SmolLM2-135M-Instruct's chat template (from its GGUF's tokenizer.chat_template).
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
# -----------------------------------------------------------------------------


def read_titles(path, n=None):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found (goodbooks books.csv from shared/data)")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for col in ("book_id", "title"):
        if rows and col not in rows[0]:
            raise ValueError(f"{path}: missing column {col!r}")
    return [(r["book_id"], r["title"]) for r in rows[:n]] if n else [(r["book_id"], r["title"]) for r in rows]


def train_tokenizer(corpus, vocab):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   unk_token="<|endoftext|>", pad_token="<|im_end|>")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def base_llm(books=books_csv, extra_text=()):
    """A random tiny Llama and its tokenizer, before the slot tokens: what a base folder holds."""
    torch.manual_seed(seed)
    from transformers import LlamaConfig, LlamaForCausalLM
    all_books = read_titles(books)
    corpus = [t for _, t in all_books[:2000]] + [t for ts in prompts.TEMPLATES.values() for t in ts]
    corpus += ["You are a helpful AI assistant named SmolLM, trained by Hugging Face", "system", "user", "assistant"]
    tokenizer = train_tokenizer(corpus + list(extra_text), vocab_size)
    cfg = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=2048,
                      rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True, initializer_range=0.2,
                      bos_token_id=1, eos_token_id=2, pad_token_id=2)
    return LlamaForCausalLM(cfg).eval(), tokenizer, all_books


def save_base(folder, books=books_csv):
    """Write the tiny model as a Hugging Face base folder (for tests of the training commands)."""
    from training.base_model import save_tokenizer
    llm, tokenizer, _ = base_llm(books)
    os.makedirs(folder, exist_ok=True)
    llm.save_pretrained(folder)
    save_tokenizer(tokenizer, folder)
    return folder


def build(books=books_csv):
    llm, tokenizer, all_books = base_llm(books)
    items = all_books[:num_items]
    cfg = llm.config
    add_slot_tokens(llm, tokenizer)
    # Random slot-token rows too (add_slot_tokens starts them at the mean).
    with torch.no_grad():
        llm.get_input_embeddings().weight[-3:].normal_(0, 0.2)
    hybrid = HybridLM(llm, Projector(64, cfg.hidden_size))
    sasrec = SASRec(num_items, dim=64, max_len=10).eval()
    return hybrid.eval(), tokenizer, sasrec, items


def ranking_head(tokenizer):
    """A label head on the random model (hybrid prompts, made-up fusion weights, no validation: the
    app does not serve its order unless a test says so). Popularity: a fixed made-up count per row."""
    from training.rank import RankPrompt, ranking_manifest
    prompt = RankPrompt(tokenizer, "book", title_tokens=8)
    return {"prompt": prompt, "hybrid": True, "popularity": [0] + [(7 * r) % 23 for r in range(1, num_items + 1)],
            "manifest": ranking_manifest(prompt, (1.0, 0.3), 0.5, "shuffled", True)}


def write_training(out, hybrid, tokenizer, sasrec, ranking):
    """out/training/: the packed rank run an incremental update starts from (training/update.py), as
    training.export writes it for a real rank run — here the base folder (the random LLM, slot tokens
    included) is inside it, and the long-term LoRA is zero, so base + LoRA is exactly this model."""
    import json
    from peft import LoraConfig, get_peft_model
    from training import rank
    from training.base_model import save_tokenizer
    folder = os.path.join(out, "training")
    base = os.path.join(folder, "base")
    os.makedirs(os.path.join(folder, "checkpoint"), exist_ok=True)
    hybrid.llm.save_pretrained(base)
    save_tokenizer(tokenizer, base)
    layers = list(range(hybrid.llm.config.num_hidden_layers))
    peft_llm = get_peft_model(copy.deepcopy(hybrid.llm), LoraConfig(
        r=rank.lora_r, lora_alpha=rank.lora_alpha, lora_dropout=rank.lora_dropout, target_modules=rank.lora_targets,
        layers_to_transform=layers, task_type="CAUSAL_LM"))
    peft_llm.save_pretrained(os.path.join(folder, "checkpoint"), save_embedding_layers=False)
    fusion = ranking["manifest"]["fusion"]
    torch.save({"projector": hybrid.projector.state_dict(), "mix": torch.tensor([fusion["sasrec"], fusion["log_popularity"]]),
                "beta": torch.tensor(fusion["beta"]), "step": 0, "total": 0, "curve": []},
               os.path.join(folder, "checkpoint", "state.pt"))
    torch.save({"state_dict": sasrec.state_dict(), "num_items": sasrec.num_items, "dim": sasrec.dim, "max_len": sasrec.max_len,
                "blocks": len(sasrec.blocks), "heads": sasrec.heads, "model": "sasrec"}, os.path.join(folder, "sasrec.pt"))
    info = {"kind": "rank", "dataset": "tiny", "domain": "book", "base": os.path.relpath(base), "hybrid": "on",
            "head": "labels", "order": ranking["manifest"]["candidate_order"], "title_tokens": ranking["prompt"].title_tokens,
            "with_creator": False, "lora": {"r": rank.lora_r, "alpha": rank.lora_alpha, "dropout": rank.lora_dropout,
                                            "targets": rank.lora_targets, "layers": "all"}}
    with open(os.path.join(folder, "info.json"), "w") as f:
        json.dump(info, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=out_dir)
    ap.add_argument("--books", default=books_csv)
    ap.add_argument("--training-only", action="store_true", help="only (re)write the training/ folder")
    args = ap.parse_args()
    torch.set_num_threads(1)
    try:
        hybrid, tokenizer, sasrec, items = build(args.books)
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")
    if args.training_only:
        shutil.rmtree(os.path.join(args.out, "training"), ignore_errors=True)
        write_training(args.out, hybrid, tokenizer, sasrec, ranking_head(tokenizer))
        return
    shutil.rmtree(args.out, ignore_errors=True)  # a stale file would otherwise sit outside the manifest
    os.makedirs(args.out)
    with open(os.path.join(args.out, "NOTICE.txt"), "w") as f:
        f.write("Random-weight test model written by `python -m training.tiny_model`.\n"
                "Item titles in items.json and parity.json are from goodbooks-10k (Zygmunt Zajac), "
                "licensed CC BY-SA 4.0: https://creativecommons.org/licenses/by-sa/4.0/\n")
    export_version(args.out, hybrid, tokenizer, sasrec, items, domain="book", version="tiny-random",
                   base={"name": "tiny-random-llama (2 layers, random weights)", "license": "Apache-2.0"},
                   metrics=[], ranking=ranking_head(tokenizer))
    write_training(args.out, hybrid, tokenizer, sasrec, ranking_head(tokenizer))
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f"wrote {args.out}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
