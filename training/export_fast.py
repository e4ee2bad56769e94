"""
The serving graphs: the same decoder as llm.onnx, cut in three so each part can be the fastest kind.

    embed.onnx            input_ids, rec_embeds, rec_mask -> inputs_embeds      (the LLaRA splice: token
                          embedding, or projector(rec_embeds) where rec_mask is true; fp32)
    decoder.int8.onnx     inputs_embeds, attention_mask, past -> hidden_states, present
                          (onnxruntime-genai's model builder: GroupQueryAttention with rotary inside,
                          SkipSimplifiedLayerNormalization, MatMulNBits weight-only int8)
    lm_head.int8.onnx     hidden [N, hidden] -> logits [N, vocab]      (the tied embedding, MatMulNBits)

Why three: the builder's fused graph takes input embeddings (exclude_embeds), so the splice has to
move out of it; and with the head out of the body too, the runtime computes logits only where it
needs them — the last position while generating, the answer position for the label head, every
answer position when scoring titles — instead of all 435 positions of a prefill (17 % of it).

The decoder's cache is the contract's: past_key_values.{i}.key/.value [B, kv_heads, P, head_dim]
float32 in, present.{i}.* out. There is no position_ids input: GroupQueryAttention derives positions
from attention_mask (sum - 1 = the last position), so rows must be right-padded.

llm.onnx (fp32, all positions) stays in the folder: it is the reference every graph here is checked
against (training/export.py: parity and the int8 acceptance criteria).
"""

import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn

# -----------------------------------------------------------------------------
bits = 8  # MatMulNBits weight bits (4 measured too: docs/BENCHMARKS.md "Runtime")
block_size = 32
accuracy_level = 4  # int8 activations inside MatMulNBits (blockwise, so outlier channels stay local)
# -----------------------------------------------------------------------------

EMBED, DECODER, LM_HEAD = "embed.onnx", f"decoder.int{bits}.onnx", f"lm_head.int{bits}.onnx"


class Embed(nn.Module):
    def __init__(self, hybrid):
        super().__init__()
        self.hybrid = hybrid

    def forward(self, input_ids, rec_embeds, rec_mask):
        return self.hybrid.embed(input_ids, rec_embeds, rec_mask)


def export_embed(hybrid, path, d):
    from torch.export import Dim
    B, T = Dim("batch", max=1024), Dim("seq", max=8192)
    g = torch.Generator().manual_seed(0)
    example = (torch.randint(0, d["vocab"], (2, 5), generator=g), torch.randn(2, 5, d["rec_dim"], generator=g),
               torch.tensor([[False, True, False, False, False]] * 2))
    with torch.no_grad():
        prog = torch.onnx.export(Embed(hybrid).eval(), example, dynamo=True, opset_version=18,
                                 input_names=["input_ids", "rec_embeds", "rec_mask"], output_names=["inputs_embeds"],
                                 dynamic_shapes=({0: B, 1: T}, {0: B, 1: T}, {0: B, 1: T}), optimize=True, verbose=False)
    prog.save(path)


def export_decoder(hybrid, tokenizer, path, precision="int8"):
    """The transformer layers alone, built by onnxruntime-genai's model builder from the merged weights."""
    import onnx
    with tempfile.TemporaryDirectory() as tmp:
        hf, built = os.path.join(tmp, "hf"), os.path.join(tmp, "built")
        hybrid.llm.save_pretrained(hf)
        tokenizer.save_pretrained(hf)
        cmd = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", hf, "-o", built, "-p", precision,
               "-e", "cpu", "-c", os.path.join(tmp, "cache"), "--extra_options", "exclude_embeds=true",
               "exclude_lm_head=true", f"int4_block_size={block_size}", f"int4_accuracy_level={accuracy_level}"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"onnxruntime-genai's builder failed: {done.stderr[-2000:]}")
        model = onnx.load(os.path.join(built, "model.onnx"))
        # One external-data file named after the graph, so a folder can hold several graphs.
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=1024)


def export_lm_head(hybrid, path, d):
    """logits = hidden @ embedding^T (the head is tied), quantized by onnxruntime's MatMulNBitsQuantizer."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer
    weight = hybrid.llm.get_output_embeddings().weight.detach().float().numpy().T.copy()  # [hidden, vocab]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["hidden", "lm_head.weight"], ["logits"], name="lm_head/MatMul")], "lm_head",
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["rows", d["hidden"]])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["rows", d["vocab"]])],
        [numpy_helper.from_array(weight, "lm_head.weight")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)],
                              ir_version=10)  # what onnxruntime 1.30 reads (onnx 1.23 would write 14)
    config = DefaultWeightOnlyQuantConfig(block_size=block_size, is_symmetric=True, accuracy_level=accuracy_level,
                                          bits=bits)
    quant = MatMulNBitsQuantizer(model, algo_config=config)
    quant.process()
    if not any(n.op_type == "MatMulNBits" for n in quant.model.model.graph.node):
        raise RuntimeError("MatMulNBitsQuantizer left the lm_head unquantized")
    onnx.save_model(quant.model.model, path)


def unsupported(d):
    """Why these graphs cannot be built for a model of these dims, or None."""
    if d["head_dim"] % 16:
        return f"GroupQueryAttention needs a head size that is a multiple of 16, this model's is {d['head_dim']}"
    return None


def export(hybrid, tokenizer, out, d):
    """Write the three graphs into the version folder; returns the manifest's "fast" section."""
    export_embed(hybrid, os.path.join(out, EMBED), d)
    export_decoder(hybrid, tokenizer, os.path.join(out, DECODER))
    export_lm_head(hybrid, os.path.join(out, LM_HEAD), d)
    return {"embed": EMBED, "decoder": DECODER, "lm_head": LM_HEAD,
            "quantization": f"MatMulNBits weight-only int{bits}, block {block_size}, symmetric, accuracy_level "
                            f"{accuracy_level}, every decoder MatMul and the tied lm_head (onnxruntime-genai's model "
                            f"builder; onnxruntime.quantization.MatMulNBitsQuantizer)",
            "attention": "com.microsoft GroupQueryAttention, rotary inside; positions from attention_mask (right padding)",
            "logits": "lm_head.int8.onnx on the hidden states of the positions the runtime asks for"}
