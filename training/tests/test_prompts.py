import random

import pytest

from training import prompts
from training.prompts import Sample
from training.tests import helpers


def test_prompt_text_puts_a_slot_after_every_title():
    t = prompts.TEMPLATES["movie"][1]
    text = prompts.prompt_text(t, ["Heat", "Up"], ["A", "B", "C"], hybrid=True)
    assert "Heat [HistoryEmb], Up [HistoryEmb] in the previous" in text
    assert "following 3 movie titles: A [CansEmb], B [CansEmb], C [CansEmb], recommend" in text
    plain = prompts.prompt_text(t, ["Heat", "Up"], ["A", "B", "C"], hybrid=False)
    assert plain.count("[PH]") == 5 and "Emb]" not in plain


def test_encode_maps_slots_to_items_in_order_and_marks_the_answer():
    tok = helpers.tokenizer()
    titles = helpers.titles(30)
    rng = random.Random(0)
    s = Sample([3, 5, 7, 9], prompts.sample_candidates([3, 5, 7, 9], 11, 30, rng), 11)
    t = prompts.TEMPLATES["book"][0]
    enc = prompts.encode(tok, s, titles, t, hybrid=True, with_answer=True)
    h_id, c_id = tok.convert_tokens_to_ids(["[HistoryEmb]", "[CansEmb]"])
    slots = [(tid, item) for tid, item in zip(enc.input_ids, enc.slot_items) if item]
    assert [i for tid, i in slots if tid == h_id] == s.history
    assert [i for tid, i in slots if tid == c_id] == s.candidates
    # Every slot token carries an item and nothing else does.
    assert all((tid in (h_id, c_id)) == (item != 0) for tid, item in zip(enc.input_ids, enc.slot_items))
    answer = tok.decode(enc.input_ids[enc.answer_start:])
    assert answer == titles[11] + "<|im_end|>"
    assert tok.decode(enc.input_ids[:enc.answer_start]).endswith("<|im_start|>assistant\n")
    # The text-only prompt has the same length (one [PH] per slot) and no slot items.
    plain = prompts.encode(tok, s, titles, t, hybrid=False, with_answer=True)
    assert len(plain.input_ids) == len(enc.input_ids) and not any(plain.slot_items)


def test_encode_refuses_a_title_that_contains_a_slot_token():
    tok = helpers.tokenizer()
    titles = ["", "A", "B [CansEmb]", "C", "D"]
    s = Sample([1, 3, 4], [1, 2, 3, 4], 2)
    with pytest.raises(ValueError, match="slot tokens do not match"):
        prompts.encode(tok, s, titles, prompts.TEMPLATES["book"][0], hybrid=True, with_answer=False)


def test_candidates_are_the_target_and_19_unseen_items_with_a_fixed_seed():
    hist = list(range(1, 11))
    a = prompts.sample_candidates(hist, 50, 100, random.Random(7))
    b = prompts.sample_candidates(hist, 50, 100, random.Random(7))
    assert a == b and len(a) == 20 and len(set(a)) == 20 and 50 in a
    assert not set(a) & set(hist) and all(1 <= i <= 100 for i in a)


def test_too_few_items_for_20_candidates_is_an_error_not_a_hang():
    with pytest.raises(ValueError, match="too few"):
        prompts.sample_candidates(list(range(1, 11)), 11, 25, random.Random(0))
