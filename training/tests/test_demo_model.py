"""The demo model's round trip: a training run -> the committed parts (pack) -> a version folder (build)."""

import json
import os
import random

import pytest
import torch

from training import demo_model, llara
from training.sasrec import SASRec
from training.tests import helpers

NUM_BOOKS = 40


def _catalog(folder):
    """A goodbooks-format catalog: 40 books, 40 readers with 6 books each."""
    os.makedirs(folder)
    titles = helpers.titles(NUM_BOOKS)
    with open(os.path.join(folder, "books.csv"), "w") as f:
        f.write("book_id,title\n" + "".join(f"{100 + i},{titles[i]}\n" for i in range(1, NUM_BOOKS + 1)))
    rng = random.Random(0)
    with open(os.path.join(folder, "ratings.csv"), "w") as f:
        f.write("user_id,book_id,rating\n")
        for user in range(1, 41):
            for book in rng.sample(range(1, NUM_BOOKS + 1), 6):
                f.write(f"{user},{100 + book},4\n")
    with open(os.path.join(folder, "to_read.csv"), "w") as f:
        f.write("user_id,book_id\n")
    return folder


def _run(tmp_path):
    """A finished training run on the tiny base: LoRA and projector moved away from their initial values."""
    base = helpers.base_folder(str(tmp_path / "base"))
    sasrec_path = str(tmp_path / "sasrec.pt")
    sas = SASRec(NUM_BOOKS, dim=8, max_len=10)
    torch.save({"state_dict": sas.state_dict(), "num_items": NUM_BOOKS, "dim": 8, "max_len": 10, "blocks": 2,
                "heads": 1, "model": "sasrec"}, sasrec_path)
    model, _ = llara.build(base, 8, torch.device("cpu"))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.1)
    run = str(tmp_path / "run")
    os.makedirs(run)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad])
    llara.save_checkpoint(run, model, opt, step=3, rng=random.Random(0), total=3)
    with open(os.path.join(run, "info.json"), "w") as f:
        json.dump({"dataset": "goodbooks", "domain": "book", "base": base, "sasrec": sasrec_path}, f)
    return run, base, model


def test_pack_keeps_the_trained_weights_and_build_makes_a_cached_version_folder(tmp_path):
    run, base, trained = _run(tmp_path)
    catalog = _catalog(str(tmp_path / "catalog"))
    parts, out = str(tmp_path / "parts"), str(tmp_path / "out")

    demo_model.pack(run, parts)
    assert not os.path.exists(os.path.join(parts, "checkpoint", "state.pt"))  # no optimizer state committed
    with open(os.path.join(parts, "checkpoint", "adapter_config.json")) as f:
        assert json.load(f)["base_model_name_or_path"] == "base"  # no local paths committed
    with open(os.path.join(parts, "info.json")) as f:
        info = json.load(f)
    assert info["steps_done"] == 3 and "sasrec" not in info

    # The packed parts give back the trained model: the same projector, the same merged weights.
    merged, _, _, items, _ = llara.load_for_export(parts, base_dir=base, data_dir=catalog)
    for a, b in zip(merged.projector.state_dict().values(), trained.projector.state_dict().values()):
        torch.testing.assert_close(a, b)
    reference = trained.llm.merge_and_unload()
    torch.testing.assert_close(merged.llm.model.layers[0].self_attn.q_proj.weight,
                               reference.model.layers[0].self_attn.q_proj.weight)
    assert items[0] == ("101", helpers.titles(NUM_BOOKS)[1])

    demo_model.build(parts, out, base=base, catalog=catalog, int8=False)
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    assert manifest["version"] == info["version"]
    assert manifest["parity"]["greedy_equal"]
    assert not os.path.exists(out + ".building")
    assert demo_model.is_up_to_date(parts, out)
    built_at = os.path.getmtime(os.path.join(out, "llm.onnx"))
    demo_model.build(parts, out, base=base, catalog=catalog, int8=False)  # cached: nothing rewritten
    assert os.path.getmtime(os.path.join(out, "llm.onnx")) == built_at


def test_build_names_missing_parts(tmp_path):
    with pytest.raises(FileNotFoundError, match="parts/info.json not found"):
        demo_model.build(str(tmp_path / "parts"), str(tmp_path / "out"))
