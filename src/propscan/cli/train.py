"""``propscan train``: reproduce the span tagger (needs ``pip install propscan[train]``)."""

from __future__ import annotations

import argparse
import shlex
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="fine-tune the span tagger on SemEval data (needs the [train] extra)",
        description="Fine-tune MiniLM-L6 as a persuasion-technique span tagger on SemEval-2023 Task 3 English "
                    "spans, export it to int8 ONNX, choose thresholds on the validation split and write "
                    "tagger.onnx, tokenizer.json, tagger.json and MODEL_CARD.md to --out.")
    p.add_argument("--data", required=True, metavar="PATH",
                   help="folder holding semeval2023-task3/ (and semeval2020-task11/ for SI scores)")
    p.add_argument("--out", default="runs/tagger", metavar="DIR", help="run folder (default: runs/tagger)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--window", type=int, default=254, help="word pieces per window (without [CLS]/[SEP])")
    p.add_argument("--stride", type=int, default=192, help="window stride in training")
    p.add_argument("--inference-stride", type=int, default=None, help="window stride at inference")
    p.add_argument("--pos-weight", type=float, default=10.0, help="positive-class weight of the token loss")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--memes", action="store_true", help="add the SemEval-2021 Task 6 meme texts to training")
    p.add_argument("--with-2020", action="store_true",
                   help="also train on the SemEval-2020 Task 11 annotation of the training articles")
    p.add_argument("--layers", type=int, default=0,
                   help="keep only the first N of MiniLM's 6 layers (faster inference; 0 = all)")
    p.add_argument("--distill", type=float, default=0.0, metavar="W",
                   help="weight of a teacher tagger's token probabilities in the loss (0: gold labels only)")
    p.add_argument("--teacher", metavar="DIR", help="the teacher's model folder (default: the shipped tagger)")
    p.add_argument("--init-teacher", action="store_true",
                   help="start from the teacher's weights (its first --layers) instead of MiniLM's")
    p.add_argument("--unlabelled", action="store_true",
                   help="with --distill: add the English unlabelled test articles, taught by the teacher alone")
    p.add_argument("--paragraph-loss", type=float, default=0.0, metavar="W",
                   help="multi-task: add W x a paragraph-level loss on the highest token score of each paragraph")
    p.add_argument("--title-context", type=int, default=0, metavar="N",
                   help="put the title's first N tokens before every window (with --window the article tokens per window)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="where torch trains (auto: a GPU when torch sees one)")
    p.add_argument("--save-every", type=int, default=25, metavar="N",
                   help="batches between resumable snapshots (0: only at epoch ends)")
    p.add_argument("--checkpoint", metavar="FILE", help="skip training: export and calibrate this checkpoint")
    p.add_argument("--install", action="store_true", help="copy the result into the package's models/ folder")
    p.add_argument("--feedback", metavar="DIR",
                   help="also train on users' reviewed corrections: a folder written by `propscan export-feedback` "
                        "(the model card records how many articles and spans went in)")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would be trained on (articles, feedback) as JSON and stop; no torch needed")
    p.add_argument("--max-train-articles", type=int, default=0, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def feedback_counts(folder: str) -> tuple[int, int]:
    """(articles, reviewed spans) of an export-feedback folder; a clear error when it is not one."""
    from ..feedback import load_feedback
    from ..errors import DatasetError, PropscanError

    try:
        arts = load_feedback(folder)
    except DatasetError as e:
        raise PropscanError(f"--feedback {folder}: {e}") from None
    return len(arts), sum(len(a.spans) for a in arts)


def plan(cfg: object) -> dict[str, int]:
    """What a run would train and validate on (``--dry-run``)."""
    import json

    from ..train.trainer import load_data

    train, val, extra = load_data(cfg)  # type: ignore[arg-type]
    out = {"train_articles": len(train), "validation_articles": len(val), "extra_texts": len(extra),
           "feedback_articles": getattr(cfg, "feedback_articles", 0), "feedback_spans": getattr(cfg, "feedback_spans", 0)}
    print(json.dumps(out))
    return out


def run(args: argparse.Namespace) -> int:
    fb_articles = fb_spans = 0
    if args.feedback:
        from ..errors import PropscanError

        fb_articles, fb_spans = feedback_counts(args.feedback)
        if not fb_articles:
            raise PropscanError(f"--feedback {args.feedback}: the export holds no reviewed article")
    if args.dry_run:
        from ..train.trainer import TrainConfig

        plan(TrainConfig(data=args.data, feedback=args.feedback, feedback_articles=fb_articles,
                         feedback_spans=fb_spans, memes=args.memes, with_2020=args.with_2020,
                         max_train_articles=args.max_train_articles))
        return 0
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        from ..errors import PropscanError

        raise PropscanError("training needs the [train] extra: pip install 'propscan[train]'") from None
    from ..train.pipeline import run as run_pipeline
    from ..train.trainer import TrainConfig

    cfg = TrainConfig(data=args.data, out=args.out, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                      window=args.window, stride=args.stride, pos_weight=args.pos_weight, seed=args.seed,
                      threads=args.threads, memes=args.memes, with_2020=args.with_2020,
                      max_train_articles=args.max_train_articles, layers=args.layers, device=args.device,
                      save_every=args.save_every, feedback=args.feedback, feedback_articles=fb_articles,
                      feedback_spans=fb_spans, distill=args.distill, teacher=args.teacher,
                      init_teacher=args.init_teacher, unlabelled=args.unlabelled,
                      paragraph_loss=args.paragraph_loss, title_context=args.title_context)
    if (args.unlabelled or args.teacher) and not args.distill:
        from ..errors import PropscanError

        raise PropscanError("--unlabelled and --teacher need --distill W (W > 0)")
    argv = list(sys.argv[1:]) if sys.argv[1:2] == ["train"] else []
    if "--checkpoint" in argv:  # record the command that trains this model from scratch
        i = argv.index("--checkpoint")
        del argv[i:i + 2]
    command = "propscan " + " ".join(shlex.quote(a) for a in argv) if argv else None
    m = run_pipeline(cfg, checkpoint=args.checkpoint, install=args.install, command=command,
                     inference_stride=args.inference_stride)
    print(f"subtask-3 paragraph micro-F1 {m['st3']['f1']:.4f}, SI F1 {m['si']['f1']:.4f}; "
          f"model and card in {args.out}", file=sys.stderr)
    return 0
