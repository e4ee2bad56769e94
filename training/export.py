"""
Export a model version folder per the model-artifact contract (shared/DESIGN.md):

    manifest.json  tokenizer.json  tokenizer_config.json  llm.onnx  llm.int8.onnx
    sasrec.onnx  item_embeddings.f32  items.json  parity.json

    python -m training.export --run training/runs/llara-movielens --out models/<version>
    python -m training.tiny_model          # the test fixture, written by this same code

llm.onnx is the decoder with the LLaRA splice inside the graph: where rec_mask is true the token
embedding is replaced by projector(rec_embeds), so the runtime never handles the embedding table.
It takes and returns a KV cache (past_key_values.{i}.key/.value -> present.{i}.key/.value,
[B, kv_heads, P, head_dim]) and returns logits for every input position (the runtime needs all of
them to score candidate titles; it reads the last one for generation).

Export uses torch.onnx's dynamo exporter (opset 18): the tied embedding is stored once and the
graph keeps the dynamic cache length. The example input has a non-empty cache (P = 3) so no
empty-cache branch is baked in; parity is then checked in onnxruntime with P = 0 and P > 0.
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import sys

import numpy as np
import torch
import torch.nn as nn
from tqdm import tqdm

from training import prompts
from training.base_model import save_tokenizer
from training.prompts import Sample

# -----------------------------------------------------------------------------
opset = 18
tolerance = 1e-3  # max |Δlogit| allowed between PyTorch and onnxruntime fp32
greedy_steps = 8
past_split = 7  # parity with a non-empty past: the last 7 prompt tokens are fed after the rest
TEMPLATE_INDEX = 0  # the parity prompt uses the domain's first template
# -----------------------------------------------------------------------------


class ExportError(Exception):
    pass


class OnnxDecoder(nn.Module):
    """Flat tensors in and out, as the ONNX graph sees them."""

    def __init__(self, hybrid):
        super().__init__()
        self.hybrid = hybrid
        self.config = hybrid.llm.config

    def forward(self, input_ids, rec_embeds, rec_mask, attention_mask, position_ids, past):
        from transformers import DynamicCache
        cache = DynamicCache(ddp_cache_data=[(past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2)],
                             config=self.config)
        out = self.hybrid(input_ids, rec_embeds, rec_mask, attention_mask=attention_mask, position_ids=position_ids,
                          past_key_values=cache, use_cache=True)
        present = []
        for layer in out.past_key_values.layers:
            present += [layer.keys, layer.values]
        return (out.logits, *present)


def dims_of(config, rec_dim):
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return {"hidden": config.hidden_size, "layers": config.num_hidden_layers, "heads": config.num_attention_heads,
            "kv_heads": config.num_key_value_heads, "head_dim": head_dim, "vocab": config.vocab_size,
            "rec_dim": rec_dim}


def io_names(layers):
    past = [f"past_key_values.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    present = [f"present.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    inputs = ["input_ids", "rec_embeds", "rec_mask", "attention_mask", "position_ids"] + past
    return inputs, ["logits"] + present


def example_inputs(d, B=2, T=5, P=3):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, d["vocab"], (B, T), generator=g)
    rec = torch.randn(B, T, d["rec_dim"], generator=g)
    mask = torch.zeros(B, T, dtype=torch.bool)
    mask[:, 1] = True
    attn = torch.ones(B, P + T, dtype=torch.long)
    pos = torch.arange(P, P + T).unsqueeze(0).expand(B, T).contiguous()
    past = tuple(torch.randn(B, d["kv_heads"], P, d["head_dim"], generator=g) for _ in range(2 * d["layers"]))
    return ids, rec, mask, attn, pos, past


def export_llm(hybrid, path, d):
    from torch.export import Dim
    B, T, P, PT = Dim("batch", max=1024), Dim("seq", max=8192), Dim("past", max=8192), Dim("total", max=16384)
    inputs, outputs = io_names(d["layers"])
    per_past = {0: B, 2: P}
    shapes = ({0: B, 1: T}, {0: B, 1: T}, {0: B, 1: T}, {0: B, 1: PT}, {0: B, 1: T},
              tuple(per_past for _ in range(2 * d["layers"])))
    wrapper = OnnxDecoder(hybrid).eval()
    with torch.no_grad():
        prog = torch.onnx.export(wrapper, example_inputs(d), dynamo=True, opset_version=opset,
                                 input_names=inputs, output_names=outputs, dynamic_shapes=shapes,
                                 optimize=True, verbose=False)
    prog.save(path)
    return inputs, outputs


def quantize_int8(src, dst):
    """Dynamic int8 quantization of the MatMul weights (per channel), activations quantized at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])


def export_sasrec(sasrec, path):
    from torch.export import Dim
    B, L = Dim("batch", max=4096), Dim("len", min=2, max=sasrec.max_len)

    class UserState(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, item_seq):
            return self.m(item_seq)

    ex = torch.tensor([[0] * (sasrec.max_len - 3) + [1, 2, 3]] * 2)
    with torch.no_grad():
        prog = torch.onnx.export(UserState(sasrec).eval(), (ex,), dynamo=True, opset_version=opset,
                                 input_names=["item_seq"], output_names=["user_state"],
                                 dynamic_shapes=({0: B, 1: L},), optimize=True, verbose=False)
    prog.save(path)


# --- parity ------------------------------------------------------------------

def rec_inputs(enc, item_table):
    ids = torch.tensor([enc.input_ids])
    rows = torch.tensor([enc.slot_items])
    rec = item_table[rows]  # [1, T, rec_dim]; rows with 0 take the padding row and are masked out
    mask = rows != 0
    return ids, rec, mask


def torch_forward(hybrid, ids, rec, mask, past=None, past_len=0):
    from transformers import DynamicCache
    T = ids.shape[1]
    attn = torch.ones(1, past_len + T, dtype=torch.long)
    pos = torch.arange(past_len, past_len + T).unsqueeze(0)
    cache = past if past is not None else DynamicCache(config=hybrid.llm.config)
    with torch.no_grad():
        out = hybrid(ids, rec, mask, attention_mask=attn, position_ids=pos, past_key_values=cache, use_cache=True)
    return out.logits[0].float(), out.past_key_values


def top20(v):
    vals, idx = torch.topk(v, min(20, v.numel()))
    return {"ids": idx.tolist(), "values": [round(float(x), 6) for x in vals]}


def torch_greedy(hybrid, ids, rec, mask, steps, stop_ids):
    logits, cache = torch_forward(hybrid, ids, rec, mask)
    n = ids.shape[1]
    tokens = []
    for _ in range(steps):
        t = int(logits[-1].argmax())
        tokens.append(t)
        if t in stop_ids:
            break
        one = torch.tensor([[t]])
        logits, cache = torch_forward(hybrid, one, torch.zeros(1, 1, rec.shape[-1]), torch.zeros(1, 1, dtype=torch.bool),
                                      past=cache, past_len=n)
        n += 1
    return tokens


class OrtDecoder:
    """Minimal onnxruntime loop, the same one the runtime implements, used to check the export."""

    def __init__(self, path, d):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        self.s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.d = d
        self.inputs = [i.name for i in self.s.get_inputs()]

    def empty_past(self):
        d = self.d
        return [np.zeros((1, d["kv_heads"], 0, d["head_dim"]), np.float32) for _ in range(2 * d["layers"])]

    def run(self, ids, rec, mask, past, past_len):
        T = ids.shape[1]
        feeds = {"input_ids": ids.astype(np.int64), "rec_embeds": rec.astype(np.float32), "rec_mask": mask.astype(bool),
                 "attention_mask": np.ones((1, past_len + T), np.int64),
                 "position_ids": np.arange(past_len, past_len + T, dtype=np.int64)[None]}
        for i in range(self.d["layers"]):
            feeds[f"past_key_values.{i}.key"] = past[2 * i]
            feeds[f"past_key_values.{i}.value"] = past[2 * i + 1]
        out = self.s.run(None, {k: v for k, v in feeds.items() if k in self.inputs})
        return out[0][0], out[1:]

    def greedy(self, ids, rec, mask, steps, stop_ids):
        logits, past = self.run(ids, rec, mask, self.empty_past(), 0)
        n, tokens = ids.shape[1], []
        for _ in range(steps):
            t = int(logits[-1].argmax())
            tokens.append(t)
            if t in stop_ids:
                break
            logits, past = self.run(np.array([[t]]), np.zeros((1, 1, self.d["rec_dim"])), np.zeros((1, 1), bool), past, n)
            n += 1
        return tokens


def parity_case(hybrid, tokenizer, item_table, titles, sample, template):
    user_text = prompts.prompt_text(template, [titles[i] for i in sample.history],
                                    [titles[i] for i in sample.candidates], hybrid=True)
    enc = prompts.encode(tokenizer, sample, titles, template, hybrid=True, with_answer=False)
    return user_text, enc, rec_inputs(enc, item_table)


def check_sasrec(out, sasrec):
    """sasrec.onnx against PyTorch on a full and a short left-padded sequence; the case goes into parity.json."""
    import onnxruntime as ort
    s = ort.InferenceSession(os.path.join(out, "sasrec.onnx"), providers=["CPUExecutionProvider"])
    n = sasrec.num_items
    seq = [[0] * (sasrec.max_len - 3) + [1, 2, 3], [(i % n) + 1 for i in range(sasrec.max_len)]]
    with torch.no_grad():
        want = sasrec(torch.tensor(seq)).numpy()
        # A shorter input (no padding columns) must give the same state as its left-padded form.
        short = sasrec(torch.tensor([[1, 2, 3]])).numpy()
    got = s.run(None, {"item_seq": np.array(seq, np.int64)})[0]
    err = float(max(np.abs(got - want).max(), np.abs(short[0] - want[0]).max()))
    if err > tolerance:
        raise ExportError(f"sasrec.onnx does not match PyTorch: max |Δ| {err}")
    return {"item_seq": seq, "user_state": [[round(float(x), 6) for x in r] for r in want], "max_abs_diff": err}


def candidate_scores(hybrid, tokenizer, enc, rec, mask, sample, titles):
    """Each candidate's answer (title + end_of_turn, tokenized on its own as in training) scored by the sum
    of its tokens' log-probabilities after the prompt: what constrained ranking computes."""
    from torch.nn.functional import log_softmax
    eot = prompts.end_of_turn(tokenizer)
    out = []
    for row in sample.candidates:
        ans = tokenizer(titles[row] + eot, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([enc.input_ids + ans])
        r = torch.cat([rec, torch.zeros(1, len(ans), rec.shape[-1])], 1)
        m = torch.cat([mask, torch.zeros(1, len(ans), dtype=torch.bool)], 1)
        logits, _ = torch_forward(hybrid, ids, r, m)
        lp = log_softmax(logits[len(enc.input_ids) - 1:-1], -1)
        out.append({"row": row, "title": titles[row], "answer_ids": ans,
                    "logprob": round(float(lp[torch.arange(len(ans)), torch.tensor(ans)].sum()), 5)})
    return out


def check_and_write_parity(out, hybrid, tokenizer, item_table, titles, sample, template, d, int8_path, sasrec_case):
    """Run PyTorch and onnxruntime on a fixed hybrid prompt; fail if fp32 logits differ > tolerance."""
    user_text, enc, (ids, rec, mask) = parity_case(hybrid, tokenizer, item_table, titles, sample, template)
    T = ids.shape[1]
    stop_ids = sorted({tokenizer.convert_tokens_to_ids(prompts.end_of_turn(tokenizer)), tokenizer.eos_token_id})
    full, _ = torch_forward(hybrid, ids, rec, mask)
    k = T - past_split
    _, cache = torch_forward(hybrid, ids[:, :k], rec[:, :k], mask[:, :k])
    tail, _ = torch_forward(hybrid, ids[:, k:], rec[:, k:], mask[:, k:], past=cache, past_len=k)
    greedy = torch_greedy(hybrid, ids, rec, mask, greedy_steps, stop_ids)

    ort = OrtDecoder(os.path.join(out, "llm.onnx"), d)
    o_full, _ = ort.run(ids.numpy(), rec.numpy(), mask.numpy(), ort.empty_past(), 0)
    _, o_past = ort.run(ids[:, :k].numpy(), rec[:, :k].numpy(), mask[:, :k].numpy(), ort.empty_past(), 0)
    o_tail, _ = ort.run(ids[:, k:].numpy(), rec[:, k:].numpy(), mask[:, k:].numpy(), o_past, k)
    o_greedy = ort.greedy(ids.numpy(), rec.numpy(), mask.numpy(), greedy_steps, stop_ids)
    err_full = float(np.abs(o_full - full.numpy()).max())
    err_tail = float(np.abs(o_tail - tail.numpy()).max())
    # The past path must agree with the one-shot forward too (same logits for the last position).
    err_split = float((tail[-1] - full[-1]).abs().max())
    report = {"max_abs_diff_all_positions": err_full, "max_abs_diff_with_past": err_tail,
              "torch_split_vs_full": err_split, "greedy_equal": o_greedy == greedy}
    print(f"parity fp32: {report}")
    if max(err_full, err_tail, err_split) > tolerance or o_greedy != greedy:
        raise ExportError(f"onnxruntime fp32 does not match PyTorch: {report}")

    int8 = None
    if int8_path:
        q = OrtDecoder(int8_path, d)
        q_full, _ = q.run(ids.numpy(), rec.numpy(), mask.numpy(), q.empty_past(), 0)
        int8 = {"file": os.path.basename(int8_path), "max_abs_diff_vs_torch": float(np.abs(q_full - full.numpy()).max()),
                "logits_last_top20": top20(torch.from_numpy(q_full[-1])),
                "greedy_tokens": q.greedy(ids.numpy(), rec.numpy(), mask.numpy(), greedy_steps, stop_ids)}
        print(f"int8: max |Δ| {int8['max_abs_diff_vs_torch']:.4f}, greedy equal to fp32: {int8['greedy_tokens'] == greedy}")

    parity = {
        "about": "Fixed hybrid prompt and PyTorch's outputs. rec_embeds[t] = item_embeddings row slot_items[t] where "
                 "rec_mask[t] (zeros elsewhere); attention_mask all ones; position_ids = past_length + arange(T). "
                 "Compare logits within tolerance.",
        "tolerance": tolerance,
        "template_index": TEMPLATE_INDEX,
        "user_text": user_text,
        "prompt_text": prompts.chat_prefix(tokenizer, user_text),
        "history": sample.history, "candidates": sample.candidates, "target": sample.target,
        "candidate_titles": [titles[i] for i in sample.candidates],
        "input_ids": enc.input_ids,
        "rec_mask": [bool(x) for x in mask[0].tolist()],
        "slot_items": enc.slot_items,
        "logits_last_top20": top20(full[-1]),
        "with_past": {"past_length": k, "input_ids": enc.input_ids[k:], "slot_items": enc.slot_items[k:],
                      "logits_last_top20": top20(tail[-1])},
        "greedy": {"steps": greedy_steps, "stop_ids": stop_ids, "tokens": greedy,
                   "text": tokenizer.decode(greedy, skip_special_tokens=False)},
        "candidate_scores": candidate_scores(hybrid, tokenizer, enc, rec, mask, sample, titles),
        "int8": int8,
        "sasrec": sasrec_case,
        "measured": report,
    }
    with open(os.path.join(out, "parity.json"), "w") as f:
        json.dump(parity, f, indent=1)
    return report



# --- the folder ----------------------------------------------------------------

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def special_tokens(tokenizer):
    def tok(t):
        return {"token": t, "id": tokenizer.convert_tokens_to_ids(t)}
    eot = prompts.end_of_turn(tokenizer)
    return {"history_slot": tok(prompts.HISTORY_SLOT), "candidate_slot": tok(prompts.CANDIDATE_SLOT),
            "text_slot": tok(prompts.TEXT_SLOT), "end_of_turn": tok(eot), "eos": tok(tokenizer.eos_token),
            "bos": tok(tokenizer.bos_token) if tokenizer.bos_token else None,
            "pad": tok(tokenizer.pad_token) if tokenizer.pad_token else None}


def export_version(out, hybrid, tokenizer, sasrec, items, domain, version, base, metrics=None, parent=None,
                   parity_sample=None, int8=True):
    """Write the whole folder. items: list of (external_id, title) for rows 1..N (row 0 = padding)."""
    hybrid = hybrid.float().eval()
    sasrec = sasrec.float().eval()
    if sasrec.item_emb.weight.shape[0] != len(items) + 1:
        raise ExportError(f"SASRec has {sasrec.item_emb.weight.shape[0] - 1} items but items has {len(items)}")
    d = dims_of(hybrid.llm.config, sasrec.dim)
    if hybrid.llm.get_input_embeddings().weight.shape[0] != d["vocab"]:
        raise ExportError("embedding rows differ from config.vocab_size")
    os.makedirs(out, exist_ok=True)
    titles = [""] + [t for _, t in items]
    steps = ["tokenizer", "llm.onnx", "llm.int8.onnx", "sasrec.onnx", "items", "parity", "manifest"]
    bar = tqdm(steps, desc="export", unit="step")
    for step in bar:
        bar.set_postfix_str(step)
        if step == "tokenizer":
            save_tokenizer(tokenizer, out)
        elif step == "llm.onnx":
            inputs, outputs = export_llm(hybrid, os.path.join(out, "llm.onnx"), d)
        elif step == "llm.int8.onnx" and int8:
            quantize_int8(os.path.join(out, "llm.onnx"), os.path.join(out, "llm.int8.onnx"))
        elif step == "sasrec.onnx":
            export_sasrec(sasrec, os.path.join(out, "sasrec.onnx"))
        elif step == "items":
            table = sasrec.item_emb.weight.detach().float().cpu()
            table.numpy().astype("<f4").tofile(os.path.join(out, "item_embeddings.f32"))
            with open(os.path.join(out, "items.json"), "w") as f:
                json.dump({"count": len(items), "rows": [{"row": r + 1, "id": str(i), "title": t}
                                                         for r, (i, t) in enumerate(items)]}, f, ensure_ascii=False)
        elif step == "parity":
            if parity_sample is None:
                rng = random.Random(0)
                hist = list(range(1, min(len(items), 10) + 1))
                target = len(items)
                parity_sample = Sample(hist, prompts.sample_candidates(hist, target, len(items), rng), target)
            template = prompts.TEMPLATES[domain][TEMPLATE_INDEX]
            parity = check_and_write_parity(out, hybrid, tokenizer, sasrec.item_emb.weight.detach().float(), titles,
                                            parity_sample, template, d, os.path.join(out, "llm.int8.onnx") if int8 else None,
                                            check_sasrec(out, sasrec))
        elif step == "manifest":
            write_manifest(out, d, tokenizer, domain, version, base, metrics, parent, inputs, outputs, sasrec, len(items),
                           int8, parity)
    return out


def graph_io(path):
    import onnx
    m = onnx.load(path, load_external_data=False)
    init = {i.name for i in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in init], [o.name for o in m.graph.output]


def write_manifest(out, d, tokenizer, domain, version, base, metrics, parent, inputs, outputs, sasrec, num_items, int8,
                   parity):
    g_in, g_out = graph_io(os.path.join(out, "llm.onnx"))
    files = []
    for name in sorted(os.listdir(out)):
        if name == "manifest.json":
            continue
        p = os.path.join(out, name)
        files.append({"name": name, "bytes": os.path.getsize(p), "sha256": sha256(p)})
    llm_io = {"inputs": g_in, "outputs": g_out, "logits": "all_positions", "opset": opset,
              "past_layout": "[batch, kv_heads, past_length, head_dim] float32",
              "rec_mask": "bool [batch, seq]: true where the token embedding is replaced by projector(rec_embeds)"}
    manifest = {
        "format": "reco-model-version/1",
        "version": version,
        "parent": parent,
        "created": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "base_model": base,
        "dims": d,
        "special_tokens": special_tokens(tokenizer),
        "prompt": {"domain": domain, "templates": prompts.TEMPLATES[domain],
                   "history_item": "{title} " + prompts.HISTORY_SLOT, "candidate_item": "{title} " + prompts.CANDIDATE_SLOT,
                   "text_only_item": "{title} " + prompts.TEXT_SLOT, "separator": prompts.SEPARATOR,
                   "placeholders": {"{history}": "history items joined by separator", "{candidates}": "candidate items "
                                    "joined by separator", "{n}": "number of candidates"},
                   "chat": "the template text is the user message of tokenizer_config.json's chat_template, with "
                           "add_generation_prompt; the answer is a candidate title followed by end_of_turn",
                   "max_history": 10, "num_candidates": 20},
        "llm": {"file": "llm.onnx", **llm_io},
        "llm_int8": {"file": "llm.int8.onnx", "quantization": "onnxruntime dynamic int8, per-channel MatMul weights",
                     **llm_io} if int8 else None,
        "sasrec": {"file": "sasrec.onnx", "inputs": ["item_seq"], "outputs": ["user_state"], "max_len": sasrec.max_len,
                   "padding": "left, row 0", "score": "user_state · item_embeddings[row]"},
        "items": {"file": "items.json", "embeddings": "item_embeddings.f32", "count": num_items,
                  "embeddings_shape": [num_items + 1, d["rec_dim"]], "embeddings_dtype": "float32 little-endian",
                  "row_0": "padding"},
        "parity": {"file": "parity.json", **parity},
        "metrics": metrics or [],
        "files": files,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a training run folder written by training.llara")
    ap.add_argument("--out", required=True, help="the version folder to write, e.g. models/v1")
    ap.add_argument("--version", default=None)
    ap.add_argument("--no-int8", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from training import llara
    try:
        hybrid, tokenizer, sasrec, items, info = llara.load_for_export(args.run)
        export_version(args.out, hybrid, tokenizer, sasrec, items, info["domain"], args.version or os.path.basename(
            os.path.normpath(args.out)), info["base"], metrics=info.get("metrics"), int8=not args.no_int8)
    except (ExportError, FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
