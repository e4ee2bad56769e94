import torch

from training.tests import helpers


def test_hybrid_prompt_without_slots_equals_the_text_only_forward():
    model, tok = helpers.tiny_hybrid(rec_dim=8)
    ids = torch.tensor([tok("This user has read The Hunger Games [PH], Twilight [PH]. Answer:")["input_ids"]])
    rec = torch.randn(1, ids.shape[1], 8)  # present but masked out everywhere
    mask = torch.zeros(1, ids.shape[1], dtype=torch.bool)
    with torch.no_grad():
        hybrid = model(ids, rec, mask).logits
        plain = model.llm(input_ids=ids).logits
    assert torch.equal(hybrid, plain)


def test_slot_positions_take_the_projected_vector_and_change_the_output():
    model, tok = helpers.tiny_hybrid(rec_dim=8)
    ids = torch.tensor([tok("Heat [HistoryEmb], Up [HistoryEmb]")["input_ids"]])
    slot = tok.convert_tokens_to_ids("[HistoryEmb]")
    mask = ids == slot
    rec = torch.randn(1, ids.shape[1], 8)
    with torch.no_grad():
        emb = model.embed(ids, rec, mask)
        tok_emb = model.llm.get_input_embeddings()(ids)
        assert torch.allclose(emb[mask], model.projector(rec[mask]), atol=1e-6)
        assert torch.equal(emb[~mask], tok_emb[~mask])
        a = model(ids, rec, mask).logits
        b = model(ids, rec * 2, mask).logits
    assert not torch.allclose(a[0, -1], b[0, -1])
