"""
LLaRA's hybrid model: a decoder LLM whose behaviour-slot tokens take a projected item vector.

    embeds = token_embedding(input_ids)
    embeds[rec_mask] = projector(rec_embeds)[rec_mask]      # the splice
    logits = llm(inputs_embeds=embeds, ...)

The projector is LLaRA's MLP: Linear(rec_dim -> hidden), GELU, Linear(hidden -> hidden). The item
vector is the frozen SASRec's raw item embedding. This module is used both in training (with
LoRA on the LLM) and in export, where the splice lives inside the ONNX graph.
"""

import torch
import torch.nn as nn

from training.prompts import SPECIAL_TOKENS


class Projector(nn.Module):
    def __init__(self, rec_dim: int, hidden: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(rec_dim, hidden), nn.GELU(), nn.Linear(hidden, hidden))

    def forward(self, x):
        return self.net(x)


class HybridLM(nn.Module):
    def __init__(self, llm, projector: Projector):
        super().__init__()
        self.llm = llm
        self.projector = projector

    def embed(self, input_ids, rec_embeds, rec_mask):
        tok = self.llm.get_input_embeddings()(input_ids)
        proj = self.projector(rec_embeds.to(self.projector.net[0].weight.dtype)).to(tok.dtype)
        return torch.where(rec_mask.unsqueeze(-1), proj, tok)

    def forward(self, input_ids, rec_embeds, rec_mask, attention_mask=None, position_ids=None,
                past_key_values=None, use_cache=False, logits_to_keep=0):
        embeds = self.embed(input_ids, rec_embeds, rec_mask)
        return self.llm(inputs_embeds=embeds, attention_mask=attention_mask, position_ids=position_ids,
                        past_key_values=past_key_values, use_cache=use_cache, logits_to_keep=logits_to_keep)


def add_slot_tokens(llm, tokenizer):
    """Register [HistoryEmb] [CansEmb] [PH] as special tokens and grow the embedding table if needed.
    New rows start at the mean embedding (a neutral start for [PH], which keeps its own embedding)."""
    added = tokenizer.add_special_tokens({"extra_special_tokens": SPECIAL_TOKENS},
                                         replace_extra_special_tokens=False)
    n = len(tokenizer)
    emb = llm.get_input_embeddings()
    if n > emb.weight.shape[0]:
        old = emb.weight.shape[0]
        llm.resize_token_embeddings(n, mean_resizing=False)
        with torch.no_grad():
            w = llm.get_input_embeddings().weight
            w[old:] = w[:old].mean(0)
    return added
