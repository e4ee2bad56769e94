"""
LLaRA's prompts: history titles and 20 candidate titles, each followed by a slot token.

A hybrid prompt puts [HistoryEmb] after each history title and [CansEmb] after each candidate
title; the model replaces the embedding of those tokens with projector(item vector) (the splice,
see llara.HybridLM). A text-only prompt puts [PH] in the same places and keeps its embedding, so
both kinds of prompt have the same length and layout (the curriculum moves between them).

The prompt goes into the base model's chat template as the user's message; the answer is the
assistant's reply: the true next title followed by the end-of-turn token. The same templates are
written into manifest.json, so the runtime builds byte-identical prompts.
"""

import random
from dataclasses import dataclass

HISTORY_SLOT = "[HistoryEmb]"
CANDIDATE_SLOT = "[CansEmb]"
TEXT_SLOT = "[PH]"
SPECIAL_TOKENS = [HISTORY_SLOT, CANDIDATE_SLOT, TEXT_SLOT]
SEPARATOR = ", "

# Three templates per domain, one drawn per batch (as LLaRA's prompt/*.txt; its "10 titles" typo
# fixed to the real count). {history} and {candidates} are the joined "title slot" lists.
TEMPLATES = {
    "movie": [
        "This user has watched {history} in the previous. Please predict the next movie this user will watch. "
        "Choose the answer from the following {n} movie titles: {candidates}. Answer:",
        "This user has watched {history} in the previous. Given the following {n} movie titles: {candidates}, "
        "recommend one movie for this user to watch next. The movie title you recommend is:",
        "The visit history of this user is: {history}. Recommend a next movie for this user to watch from the "
        "following movie title set: {candidates}. The recommendation should contain one movie title only. "
        "Recommendation:",
    ],
    "artist": [
        "This user has listened to {history} in the previous. Please predict the next music artist this user will "
        "listen to. The artist name candidates are {candidates}. Choose only one artist from the candidates. "
        "The answer is",
        "This user has listened to {history} in the previous. Given the following {n} music artist names, "
        "{candidates}, recommend one artist for this user to listen to next. The artist name you recommend is",
        "The listening history of this user is {history}. Recommend the next music artist for this user to listen "
        "to from the following artist name set, {candidates}. The recommendation should contain one artist's "
        "name only. The recommendation is",
    ],
    "book": [
        "This user has read {history} in the previous. Please predict the next book this user will read. "
        "Choose the answer from the following {n} book titles: {candidates}. Answer:",
        "This user has read {history} in the previous. Given the following {n} book titles: {candidates}, "
        "recommend one book for this user to read next. The book title you recommend is:",
        "The reading history of this user is: {history}. Recommend a next book for this user to read from the "
        "following book title set: {candidates}. The recommendation should contain one book title only. "
        "Recommendation:",
    ],
}


@dataclass
class Sample:
    """One row in LLaRA's format: item rows (1-based, 0 = padding) and their titles."""
    history: list[int]  # oldest first, at most 10
    candidates: list[int]  # 20, shuffled, contains target
    target: int


def prompt_text(template: str, history_titles, candidate_titles, hybrid: bool) -> str:
    """The user message: titles each followed by its slot token."""
    h_slot, c_slot = (HISTORY_SLOT, CANDIDATE_SLOT) if hybrid else (TEXT_SLOT, TEXT_SLOT)
    history = SEPARATOR.join(f"{t} {h_slot}" for t in history_titles)
    candidates = SEPARATOR.join(f"{t} {c_slot}" for t in candidate_titles)
    return template.format(history=history, candidates=candidates, n=len(candidate_titles))


def chat_prefix(tokenizer, user_text: str) -> str:
    """The prompt as the model sees it: chat template with the generation prompt appended."""
    messages = [{"role": "user", "content": user_text}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def end_of_turn(tokenizer) -> str:
    """The token that closes the assistant's reply (<|im_end|> for SmolLM2's ChatML template)."""
    return "<|im_end|>" if "<|im_end|>" in tokenizer.get_vocab() else tokenizer.eos_token


@dataclass
class Encoded:
    input_ids: list[int]
    slot_items: list[int]  # per token: item row whose vector replaces the token, or 0 (no slot)
    answer_start: int  # index of the first answer token (= len(input_ids) when no answer)


def encode(tokenizer, sample: Sample, titles, template: str, hybrid: bool, with_answer: bool) -> Encoded:
    """Token ids of the chat prompt (+ answer), and which item each slot token stands for."""
    text = chat_prefix(tokenizer, prompt_text(template, [titles[i] for i in sample.history],
                                              [titles[i] for i in sample.candidates], hybrid))
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    answer_start = len(ids)
    if with_answer:
        ids = ids + tokenizer(titles[sample.target] + end_of_turn(tokenizer), add_special_tokens=False)["input_ids"]
    slot_items = [0] * len(ids)
    if hybrid:
        h_id, c_id = tokenizer.convert_tokens_to_ids([HISTORY_SLOT, CANDIDATE_SLOT])
        h_pos = [i for i, t in enumerate(ids[:answer_start]) if t == h_id]
        c_pos = [i for i, t in enumerate(ids[:answer_start]) if t == c_id]
        # A title that itself contains a slot token's text would break the count: refuse it here.
        if len(h_pos) != len(sample.history) or len(c_pos) != len(sample.candidates):
            raise ValueError(f"slot tokens do not match the items: {len(h_pos)} history slots for "
                             f"{len(sample.history)} items, {len(c_pos)} candidate slots for {len(sample.candidates)}")
        for p, item in zip(h_pos, sample.history):
            slot_items[p] = item
        for p, item in zip(c_pos, sample.candidates):
            slot_items[p] = item
    return Encoded(ids, slot_items, answer_start)


def sample_candidates(history, target: int, num_items: int, rng: random.Random, n: int = 20) -> list[int]:
    """LLaRA's candidates: the target and n - 1 items drawn uniformly from items not in the history,
    shuffled. Items are rows 1..num_items."""
    seen = set(history) | {target}
    if num_items - len(seen) < n - 1:
        raise ValueError(f"{num_items} items are too few for {n} candidates after excluding {len(seen)} seen ones")
    negatives = set()
    while len(negatives) < n - 1:
        i = rng.randint(1, num_items)
        if i not in seen:
            negatives.add(i)
    cands = sorted(negatives) + [target]
    rng.shuffle(cands)
    return cands
