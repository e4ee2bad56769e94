"""
The base model in the formats other engines run, for `npm run bench:compare` (docs/BENCHMARKS.md):

    python -m training.compare_exports                       # -> models/compare/
    python -m training.compare_exports --model models/demo   # also count the decode bytes of its llm*.onnx

writes
    SmolLM2-135M-Instruct.Q8_0.gguf   the Q4_1 GGUF dequantized and requantized to Q8_0 (llama.cpp)
    text-onnx/                        a standard text-only ONNX export for transformers.js: config.json,
                                      generation_config.json, tokenizer files, onnx/model.onnx (fp32) and
                                      onnx/model_int8.onnx (dynamic int8, 7-bit weights; dtype "int8")
    decode_bytes.json                 weight bytes read per decoded token, per file (the bandwidth bound)

Files already there are kept. The Q8_0 copy carries every metadata key of the Q4_1 file (tokenizer, chat
template) except general.file_type; it is a requantized copy of 4-bit weights, so it holds no more
information than the Q4_1 file — it times like a Q8_0 model of this shape, which is what the bench needs.
"""

import argparse
import json
import os
import shutil

import numpy as np
import torch
import torch.nn as nn
from tqdm import tqdm

from training.base_model import gguf_name, out_dir as base_dir

# -----------------------------------------------------------------------------
opset = 18
tolerance = 1e-3  # max |Δlogit| allowed between PyTorch and onnxruntime fp32
# -----------------------------------------------------------------------------


def requantize_q8_0(src, dst):
    """Every quantized tensor dequantized and quantized again as Q8_0; F32 tensors (norms) copied."""
    import gguf
    reader = gguf.GGUFReader(src)
    writer = gguf.GGUFWriter(dst, arch=reader.get_field(gguf.Keys.General.ARCHITECTURE).contents())
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name in (gguf.Keys.General.ARCHITECTURE, gguf.Keys.General.FILE_TYPE):
            continue  # written by GGUFWriter itself, or changed below
        sub_type = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), field.types[0], sub_type=sub_type)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    for t in tqdm(reader.tensors, desc="Q4_1 -> Q8_0"):
        if t.tensor_type == gguf.GGMLQuantizationType.F32:
            writer.add_tensor(t.name, np.array(t.data))
        else:
            weights = gguf.quants.dequantize(t.data, t.tensor_type)
            q8 = gguf.quants.quantize(weights, gguf.GGMLQuantizationType.Q8_0)
            writer.add_tensor(t.name, q8, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


class TextDecoder(nn.Module):
    """The layout transformers.js feeds a decoder-only model (the optimum export's names):
    input_ids, attention_mask, position_ids, past_key_values.{i}.key/value -> logits, present.{i}.key/value."""

    def __init__(self, llm):
        super().__init__()
        self.llm = llm

    def forward(self, input_ids, attention_mask, position_ids, past):
        from transformers import DynamicCache
        cache = DynamicCache(ddp_cache_data=[(past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2)],
                             config=self.llm.config)
        out = self.llm(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                       past_key_values=cache, use_cache=True)
        present = []
        for layer in out.past_key_values.layers:
            present += [layer.keys, layer.values]
        return (out.logits, *present)


def export_text_onnx(llm, path):
    from torch.export import Dim
    c = llm.config
    layers, kv_heads, head_dim = c.num_hidden_layers, c.num_key_value_heads, c.head_dim
    # transformers.js sizes the empty first cache from the graph's input shapes: the batch axis must be named
    # "batch_size" (optimum's names), any other symbolic axis becomes 0.
    B, T = Dim("batch_size", max=1024), Dim("sequence_length", max=8192)
    P, PT = Dim("past_sequence_length", max=8192), Dim("total_sequence_length", max=16384)
    past_names = [f"past_key_values.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    # A non-empty example cache (P = 3), as training/export.py does, so no empty-cache branch is baked in.
    g = torch.Generator().manual_seed(0)
    example = (torch.randint(0, c.vocab_size, (2, 5), generator=g), torch.ones(2, 8, dtype=torch.long),
               torch.arange(3, 8).expand(2, 5).contiguous(),
               tuple(torch.randn(2, kv_heads, 3, head_dim, generator=g) for _ in range(2 * layers)))
    shapes = ({0: B, 1: T}, {0: B, 1: PT}, {0: B, 1: T}, tuple({0: B, 2: P} for _ in range(2 * layers)))
    with torch.no_grad():
        prog = torch.onnx.export(TextDecoder(llm).eval(), example, dynamo=True, opset_version=opset,
                                 input_names=["input_ids", "attention_mask", "position_ids"] + past_names,
                                 output_names=["logits"] + present_names, dynamic_shapes=shapes,
                                 optimize=True, verbose=False)
    prog.save(path)


def check_text_onnx(llm, tok, path):
    """Max |Δlogit| of the ONNX graph against PyTorch on a chat prompt, every position, empty cache."""
    import onnxruntime as ort
    text = tok.apply_chat_template([{"role": "user", "content": "Recommend a film for a rainy evening."}],
                                   tokenize=False, add_generation_prompt=True)
    ids = tok(text, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.no_grad():
        want = llm(input_ids=ids).logits[0].numpy()
    c = llm.config
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feeds = {"input_ids": ids.numpy(), "attention_mask": np.ones_like(ids.numpy()),
             "position_ids": np.arange(ids.shape[1], dtype=np.int64)[None]}
    for i in range(c.num_hidden_layers):
        for kv in ("key", "value"):
            feeds[f"past_key_values.{i}.{kv}"] = np.zeros((1, c.num_key_value_heads, 0, c.head_dim), np.float32)
    got = s.run(["logits"], feeds)[0][0]
    return float(np.abs(got - want).max())


def onnx_decode_bytes(path):
    """Initializer bytes one decode step reads: all of a weight used by a MatMul/Gemm-like node, one row of a
    table that only a Gather reads (the token embedding, when the lm_head has its own copy)."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    sizes = {t.name: numpy_helper.to_array(t).nbytes for t in model.graph.initializer}
    rows = {t.name: (t.dims[0] if t.dims else 1) for t in model.graph.initializer}
    gather_only = set(sizes)
    used = set()
    for node in model.graph.node:
        for i, name in enumerate(node.input):
            if name in sizes:
                used.add(name)
                if not (node.op_type == "Gather" and i == 0):
                    gather_only.discard(name)
    return sum(sizes[n] // rows[n] if n in gather_only else sizes[n] for n in used)


def gguf_decode_bytes(path):
    """Tensor bytes one decode step reads: every tensor, except one row of token_embd when an output.weight
    exists (with tied embeddings llama.cpp reads token_embd whole as the output matrix)."""
    import gguf
    reader = gguf.GGUFReader(path)
    names = {t.name for t in reader.tensors}
    total = 0
    for t in reader.tensors:
        if t.name == "token_embd.weight" and "output.weight" in names:
            total += t.n_bytes // int(t.shape[-1])
        else:
            total += t.n_bytes
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default=base_dir, help="the HF folder of the base model (python -m training.base_model)")
    ap.add_argument("--gguf", default=os.path.join("training/cache", gguf_name))
    ap.add_argument("--model", default=None, help="a model version folder whose LLM graphs (fp32, int8 if any) to count too")
    ap.add_argument("--out", default="models/compare")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    q8_path = os.path.join(args.out, gguf_name.replace("Q4_1", "Q8_0"))
    if not os.path.isfile(q8_path):
        requantize_q8_0(args.gguf, q8_path + ".part")
        os.replace(q8_path + ".part", q8_path)
    print(f"{q8_path}: {os.path.getsize(q8_path) / 1e6:.0f} MB")

    text_dir = os.path.join(args.out, "text-onnx")
    fp32_path, int8_path = os.path.join(text_dir, "onnx/model.onnx"), os.path.join(text_dir, "onnx/model_int8.onnx")
    if not os.path.isfile(fp32_path):
        from training.base_model import load
        llm, tok = load(args.base)
        os.makedirs(os.path.dirname(fp32_path), exist_ok=True)
        for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(args.base, name), os.path.join(text_dir, name))
        print("exporting the text-only decoder (torch.onnx dynamo)...")
        export_text_onnx(llm, fp32_path + ".part")
        diff = check_text_onnx(llm, tok, fp32_path + ".part")
        print(f"fp32 ONNX vs PyTorch: max |Δlogit| {diff:.2e}")
        if diff > tolerance:
            raise SystemExit(f"error: the text-only export differs from PyTorch by {diff:.3g} (> {tolerance})")
        os.replace(fp32_path + ".part", fp32_path)
    if not os.path.isfile(int8_path):
        from onnxruntime.quantization import QuantType, quantize_dynamic
        print("quantizing to int8 (onnxruntime quantize_dynamic, MatMul weights per channel, 7-bit range)...")
        # reduce_range (weights in [-64, 63]), as transformers.js' own quantize script does: on AVX2 onnxruntime
        # multiplies u8 activations by s8 weights with VPMADDUBSW, whose int16 pair sums saturate at full 8-bit
        # range. Without it this model's greedy text here is gibberish; with it, close to fp32's.
        quantize_dynamic(fp32_path, int8_path + ".part", weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True, op_types_to_quantize=["MatMul"])
        os.replace(int8_path + ".part", int8_path)

    # Each entry: the file a row names, and the graphs one decode step runs through.
    files = [(f, [f]) for f in (args.gguf, q8_path, fp32_path, int8_path)]
    if args.model:
        with open(os.path.join(args.model, "manifest.json")) as fh:
            manifest = json.load(fh)
        for k in ("llm", "llm_int8"):
            if manifest.get(k):
                f = os.path.join(args.model, manifest[k]["file"])
                files.append((f, [f]))
        if manifest.get("fused"):  # counted together, under the decoder's file name (what bench/compare's row names)
            fused = manifest["fused"]
            files.append((os.path.join(args.model, fused["decoder"]),
                          [os.path.join(args.model, fused[k]) for k in ("embed", "decoder", "lm_head")]))
    table_path = os.path.join(args.out, "decode_bytes.json")
    table = json.load(open(table_path)) if os.path.isfile(table_path) else {}
    for f, graphs in tqdm(files, desc="decode bytes"):
        key = os.path.abspath(f)
        if table.get(key, {}).get("file_bytes") != os.path.getsize(f):
            count = sum(gguf_decode_bytes(g) if g.endswith(".gguf") else onnx_decode_bytes(g) for g in graphs)
            table[key] = {"file_bytes": os.path.getsize(f), "decode_bytes": count}
    with open(table_path, "w") as fh:
        json.dump(table, fh, indent=2)
    for key, v in table.items():
        print(f"{os.path.relpath(key)}: {v['decode_bytes'] / 1e6:.1f} MB read per decoded token (file {v['file_bytes'] / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
