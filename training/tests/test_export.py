import hashlib
import json
import os

import numpy as np
import pytest

from training import export, export_fast
from training.sasrec import SASRec
from training.tests import helpers

F = helpers.FIXTURE


def _manifest():
    with open(os.path.join(F, "manifest.json")) as f:
        return json.load(f)


def _parity():
    with open(os.path.join(F, "parity.json")) as f:
        return json.load(f)


def test_fixture_files_match_the_manifest_and_stay_small():
    m = _manifest()
    names = {f["name"] for f in m["files"]}
    assert {"tokenizer.json", "tokenizer_config.json", "llm.onnx", "llm.int8.onnx", "sasrec.onnx",
            "item_embeddings.f32", "items.json", "parity.json"} <= names
    total = 0
    for f in m["files"]:
        blob = open(os.path.join(F, f["name"]), "rb").read()
        assert hashlib.sha256(blob).hexdigest() == f["sha256"], f["name"]
        total += len(blob)
    assert total < 5e6
    d = m["dims"]
    emb = np.fromfile(os.path.join(F, "item_embeddings.f32"), "<f4")
    assert emb.size == (m["items"]["count"] + 1) * d["rec_dim"]
    assert m["llm"]["inputs"][:5] == ["input_ids", "rec_embeds", "rec_mask", "attention_mask", "position_ids"]
    assert m["llm"]["inputs"][5:] == [f"past_key_values.{i}.{kv}" for i in range(d["layers"]) for kv in ("key", "value")]
    assert m["llm"]["outputs"] == ["logits"] + [f"present.{i}.{kv}" for i in range(d["layers"]) for kv in ("key", "value")]


def _inputs(p, slots, emb):
    rows = np.array(slots)
    return emb[rows][None].astype(np.float32), (rows != 0)[None]


def test_fixture_parity_in_onnxruntime_from_the_files_alone():
    """What the runtime's parity test does: rebuild the inputs from parity.json + item_embeddings.f32."""
    m, p = _manifest(), _parity()
    d = m["dims"]
    emb = np.fromfile(os.path.join(F, "item_embeddings.f32"), "<f4").reshape(m["items"]["embeddings_shape"])
    run = export.OrtDecoder(os.path.join(F, "llm.onnx"), d)
    ids = np.array([p["input_ids"]])
    rec, mask = _inputs(p, p["slot_items"], emb)
    assert (mask[0] == np.array(p["rec_mask"])).all()
    logits, _ = run.run(ids, rec, mask, run.empty_past(), 0)
    want = p["logits_last_top20"]
    assert np.abs(logits[-1][want["ids"]] - np.array(want["values"])).max() < p["tolerance"]
    assert list(np.argsort(-logits[-1])[:5]) == want["ids"][:5]
    # With a non-empty past: the first past_length tokens, then the rest.
    k = p["with_past"]["past_length"]
    _, past = run.run(ids[:, :k], rec[:, :k], mask[:, :k], run.empty_past(), 0)
    tail, _ = run.run(ids[:, k:], rec[:, k:], mask[:, k:], past, k)
    w = p["with_past"]["logits_last_top20"]
    assert np.abs(tail[-1][w["ids"]] - np.array(w["values"])).max() < p["tolerance"]
    assert run.greedy(ids, rec, mask, p["greedy"]["steps"], p["greedy"]["stop_ids"]) == p["greedy"]["tokens"]
    q = export.OrtDecoder(os.path.join(F, "llm.int8.onnx"), d)
    assert q.greedy(ids, rec, mask, p["greedy"]["steps"], p["greedy"]["stop_ids"]) == p["int8"]["greedy_tokens"]


def test_fixture_sasrec_case():
    import onnxruntime as ort
    p = _parity()["sasrec"]
    s = ort.InferenceSession(os.path.join(F, "sasrec.onnx"), providers=["CPUExecutionProvider"])
    got = s.run(None, {"item_seq": np.array(p["item_seq"], np.int64)})[0]
    assert np.abs(got - np.array(p["user_state"])).max() < 1e-4


def test_fixture_tokenizer_reproduces_the_prompt():
    p = _parity()
    tok = helpers.tokenizer()
    assert tok(p["prompt_text"], add_special_tokens=False)["input_ids"] == p["input_ids"]


def test_fresh_export_of_a_tiny_model_passes_its_parity_check(tmp_path):
    hybrid, tok = helpers.tiny_hybrid(rec_dim=8)
    titles = helpers.titles(30)
    sas = SASRec(30, dim=8, max_len=10).eval()
    items = [(f"id{i}", titles[i]) for i in range(1, 31)]
    export.export_version(str(tmp_path), hybrid, tok, sas, items, domain="book", version="t",
                          base={"name": "tiny", "license": "Apache-2.0"})
    with open(tmp_path / "manifest.json") as f:
        m = json.load(f)
    assert m["dims"]["rec_dim"] == 8 and m["dims"]["layers"] == 2
    assert m["parity"]["max_abs_diff_all_positions"] < export.tolerance and m["parity"]["greedy_equal"]
    assert m["special_tokens"]["history_slot"]["id"] == tok.convert_tokens_to_ids("[HistoryEmb]")
    # Head size 8: GroupQueryAttention cannot take it, so the folder has no fused graphs (export says why).
    assert m["fused"] is None and export_fast.unsupported(m["dims"])
    with open(tmp_path / "tokenizer_config.json") as f:
        assert "<|im_start|>" in json.load(f)["chat_template"]


def test_export_refuses_items_that_do_not_fit_sasrec(tmp_path):
    hybrid, tok = helpers.tiny_hybrid(rec_dim=8)
    with pytest.raises(export.ExportError, match="SASRec has 30 items but items has 2"):
        export.export_version(str(tmp_path), hybrid, tok, SASRec(30, dim=8), [("a", "A"), ("b", "B")],
                              domain="book", version="t", base={})
