"""Tiny models for the tests, built from the committed fixture's tokenizer (no downloads, no shared data)."""

import os

import torch

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tiny-model")


def tokenizer():
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(FIXTURE)


def tiny_llm(vocab, seed=0):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=1024,
                      tie_word_embeddings=True, initializer_range=0.2, bos_token_id=1, eos_token_id=2, pad_token_id=2)
    return LlamaForCausalLM(cfg).eval()


def tiny_hybrid(rec_dim=8, seed=0):
    from training.hybrid import HybridLM, Projector
    tok = tokenizer()
    llm = tiny_llm(len(tok), seed)
    return HybridLM(llm, Projector(rec_dim, llm.config.hidden_size)).eval(), tok


def base_folder(path):
    """A tiny HF base folder: the fixture's tokenizer (already has the slot tokens) + a random Llama."""
    from training.base_model import save_tokenizer
    tok = tokenizer()
    tiny_llm(len(tok)).save_pretrained(path)
    save_tokenizer(tok, path)
    return path


def titles(n):
    words = ["Red", "Blue", "Night", "River", "Stone", "Glass", "Winter", "Garden", "Storm", "Silver", "Moon", "Road"]
    return [""] + [f"The {words[i % len(words)]} {words[(i * 5 + 3) % len(words)]} {i}" for i in range(1, n + 1)]
