"""``python -m sparkdl.models``: prepare the named models in the model store, list them.

python -m sparkdl.models prepare InceptionV3 [--weights PATH|URL|imagenet|random]
                                             [--seed N] [--store DIR] [--overwrite]
python -m sparkdl.models list [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import sys

from sparkdl import models
from sparkdl._gen import contract


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sparkdl.models",
        description="Named ImageNet models (keras.applications) as SavedModels in sparkdl's "
        "model store, for DeepImageFeaturizer and DeepImagePredictor.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="build a model and save it to the store")
    prepare.add_argument("name", help=f"one of: {', '.join(models.NAMES)}")
    prepare.add_argument(
        "--weights",
        default="imagenet",
        help="'imagenet' (Keras' file: its cache, else downloaded; checked against Keras' "
        "hash), 'random' (with --seed), or the path or URL of a weights file. "
        "Default: imagenet",
    )
    prepare.add_argument("--seed", type=int, default=None, help="seed of --weights random")
    prepare.add_argument("--store", default=None, help="model store. Default: " + _store_default())
    prepare.add_argument("--overwrite", action="store_true", help="replace a prepared model")
    listing = commands.add_parser("list", help="the model names and what the store holds")
    listing.add_argument("--store", default=None, help="model store. Default: " + _store_default())
    return parser


def _store_default() -> str:
    return f"${models.STORE_ENV}, else {contract.MODEL_STORE_DEFAULT_ROOT}"


def _list(store: str) -> None:
    print(f"model store: {store}")
    for name in models.NAMES:
        height, width = models.input_size(name)
        meta = models.model_dir(name, store) + "/model.json"
        state = "not prepared"
        if models._exists(meta):
            try:
                state = f"prepared, weights {json.loads(models._read_text(meta))['weights']}"
            except (OSError, ValueError, KeyError):
                state = "unreadable model.json"
        print(f"  {name:<15} {height}x{width}  features {models.feature_dim(name):>4}  {state}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    store = args.store or models.store_root()
    try:
        if args.command == "list":
            _list(store)
        else:
            print(
                models.prepare(
                    args.name, args.weights, store=store, seed=args.seed, overwrite=args.overwrite
                )
            )
    except (ValueError, OSError) as e:  # WeightsError is a ValueError
        print(f"python -m sparkdl.models: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
