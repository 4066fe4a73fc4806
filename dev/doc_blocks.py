"""Runs every ```python and ```scala fenced block of README.md and docs/ (docs/api excepted): what
`dev/run-doc-blocks` calls, and `dev/test` with it. Fails, naming the page and line, when a
block fails.

How blocks run
--------------
- Python: one Python process runs every page; each page gets a fresh namespace holding `spark`
  (sparkdl's local session, as `pyspark`'s shell gives it), and its blocks run in order in that
  namespace, so a block may use what an earlier block of its page defined. Spark confs a page
  sets are undone after it.
- Scala: one `spark-shell` (PySpark's, with sparkdl's jars) runs every page; each page's blocks
  run in order inside one `{ ... }` scope, with `spark` and its implicits as the shell has them.
- Paths: quoted absolute paths under /data/, /models/, /stages/, /tmp/ and /m/ are the reader's
  own; the runner maps each to the same path under a sandbox directory of the run (which is also
  the working directory), where the setups create what the blocks read.

Annotations (an HTML comment on the line right before the fence, invisible on the page)
----------------------------------------------------------------------------------------
- ``<!-- doc-run: setup=NAME[,NAME...] -->``: runs the hidden setups NAME (in :data:`PY_SETUPS`
  or :data:`SCALA_SETUPS`) before the block: the data and models a block takes as given.
- ``<!-- doc-run: after=NAME -->``: runs hidden code NAME after the block (e.g. stops a stream).
  ``setup=`` and ``after=`` combine, separated by ``;``.
- ``<!-- doc-run: skip=REASON -->``: the block is not run (the runner prints REASON): only for
  blocks that cannot run by nature (a cluster, a Connect server, a download).

Cost, measured on 2 cores: 180 s for every block, Python and Scala (about 7 minutes when another
test run shares the cores); the summary line prints each run's. The Scala blocks take about 60 s,
one spark-shell start included. Most of the rest is preparing InceptionV3, ResNet50 and
MobileNetV2 with seeded random weights (no downloads), the README's InceptionV3 pipeline and the
training page's CrossValidator (24 small fits).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(python|scala)\s*$")
ANNOTATION = re.compile(r"^<!--\s*doc-run:\s*(.*?)\s*-->\s*$")
SANDBOXED = re.compile(r"""(["'])/(data|models|stages|tmp|m)/""")


@dataclass
class Block:
    page: str
    line: int
    language: str
    code: str
    setup: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    skip: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    docs = ROOT / "docs"
    found = [ROOT / "README.md", *sorted(docs.glob("*.md")), *sorted(docs.glob("guide/*.md"))]
    return [p for p in found if p.is_file()]


def blocks(page: Path) -> list[Block]:
    """The page's python and scala blocks with their annotations."""
    lines = page.read_text().split("\n")
    name = str(page.relative_to(ROOT))
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        block = Block(name, i + 1, m.group(1), "\n".join(lines[i + 1:end]))
        note = ANNOTATION.match(lines[i - 1]) if i > 0 else None
        if note:
            for part in filter(None, (p.strip() for p in note.group(1).split(";"))):
                key, _, value = part.partition("=")
                if key == "skip":
                    block.skip = value.strip() or "no reason given"
                elif key in ("setup", "after"):
                    getattr(block, key).extend(v.strip() for v in value.split(",") if v.strip())
                else:
                    raise SystemExit(f"{block.where}: unknown doc-run annotation '{part}'")
        out.append(block)
        i = end + 1
    return out


def sandboxed(code: str, sandbox: Path) -> str:
    return SANDBOXED.sub(lambda m: f"{m.group(1)}{sandbox}/{m.group(2)}/", code)


# Hidden setups: Python code run in the page's namespace before the block that names them.
PY_SETUPS: dict[str, str] = {
    # A Keras MLP over 8 features, 3 classes; df: id, features (8 floats), label (class index),
    # a, b (for two-input models); view t: id, features.
    "mlp": """
import keras, numpy as np
keras.utils.set_random_seed(0)
def _mlp(hidden):
    return keras.Sequential([keras.Input((8,), name="features"),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])
keras_model, small_model, wide_model = _mlp(8), _mlp(4), _mlp(16)
_rng = np.random.default_rng(0)
_y = _rng.integers(0, 3, 48)
_x = (_rng.normal(size=(3, 8))[_y] * 3 + _rng.normal(size=(48, 8))).astype("float32")
df = spark.createDataFrame(
    [(i, _x[i].tolist(), float(_y[i]), _x[i, :4].tolist(), _x[i, 4:].tolist())
     for i in range(48)],
    "id long, features array<float>, label double, a array<float>, b array<float>")
df.createOrReplaceTempView("t")
""",
    "two_input_function": """
import tensorflow as tf
@tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x1"),
                              tf.TensorSpec([None, 4], tf.float32, name="x2")])
def my_tf_function(x1, x2):
    return x1 - x2
""",
    # A SavedModel at /tmp/m (signature "serve", input x of 3 floats) and view t: id, x.
    "sql_model": """
import keras
keras.utils.set_random_seed(1)
keras.Sequential([keras.Input((3,), name="x"), keras.layers.Dense(2, activation="sigmoid")]
                 ).export(SANDBOX + "/tmp/m", verbose=False)
df = spark.createDataFrame([(i, [float(i), 1.0, -1.0]) for i in range(6)],
                           "id long, x array<float>")
df.createOrReplaceTempView("t")
""",
    # Image files: /data/images (4 PNGs), /data/flowers/{tulips,daisy} (3 each), and labelled
    # frames of them: labelled_images, train_df (label 1.0 for tulips), df (images).
    "images": """
import os, numpy as np
from PIL import Image
from pyspark.sql import functions as _F
_rng = np.random.default_rng(1)
for _d, _n in (("data/images", 4), ("data/flowers/tulips", 3), ("data/flowers/daisy", 3)):
    os.makedirs(SANDBOX + "/" + _d, exist_ok=True)
    for _i in range(_n):
        Image.fromarray(_rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(
            f"{SANDBOX}/{_d}/{_i}.png")
import sparkdl as _sdl
labelled_images = _sdl.readImages(SANDBOX + "/data/flowers").withColumn(
    "label", _F.col("origin").contains("/tulips/").cast("double"))
train_df = labelled_images
df = _sdl.readImages(SANDBOX + "/data/images")
""",
    "keras_cnn": """
import keras
keras.utils.set_random_seed(2)
keras_cnn = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(2, 3),
                              keras.layers.GlobalAveragePooling2D()])
""",
    "incoming": """
import os, numpy as np
from PIL import Image
os.makedirs(SANDBOX + "/data/incoming", exist_ok=True)
for _i in range(2):
    Image.fromarray(np.full((30, 30, 3), 40 * _i, np.uint8)).save(
        f"{SANDBOX}/data/incoming/{_i}.png")
""",
}

PY_AFTER: dict[str, str] = {
    "stop_stream": "query.processAllAvailable()\nquery.stop()",
}

# Hidden setups of Scala blocks: code run in the page's scope before the block.
SCALA_SETUPS: dict[str, str] = {
    "two_input": """
val df = spark.createDataFrame(Seq((Array(1f, 2f, 3f, 4f), Array(0f, 0f, 5f, 1f))))
  .toDF("a", "b")
spark.createDataFrame(Seq((1f, 2f), (3f, 4f))).toDF("a", "b").createOrReplaceTempView("t")
""",
    "sums": """
spark.createDataFrame(Seq((1f, 2f), (3f, 4f))).toDF("a", "b").createOrReplaceTempView("t")
""",
    "doubles": """
val df = spark.range(10).selectExpr("cast(id as double) as x")
""",
    "trainable": """
val df = spark.createDataFrame((0 until 40).map { i =>
  (Array.tabulate(8)(j => ((i * 7 + j * 3) % 11).toFloat / 11f),
   Array.tabulate(3)(k => if (i % 3 == k) 1f else 0f))
}).toDF("features", "label")
""",
}


def prepare_sandbox(sandbox: Path, fixtures: Path) -> None:
    """The models the Scala blocks (and some Python ones) read, at their sandboxed paths."""
    models = sandbox / "models"
    models.mkdir(parents=True, exist_ok=True)
    for name, fixture in (("two_input", "saved_model_two_input"), ("keras_mlp", "keras_mlp"),
                          ("m", "saved_model_two_sigs"), ("trainable", "keras_trainable")):
        source = fixtures / fixture
        if not source.is_dir():
            raise SystemExit(f"run-doc-blocks: {source} is missing: run dev/make_fixtures.py "
                             f"{fixtures} first")
        shutil.copytree(source, models / name, dirs_exist_ok=True)
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(3)
    mlp = keras.Sequential([keras.Input((4,), name="x"), keras.layers.Dense(2)])
    mlp.export(str(models / "mlp"), verbose=False)  # signature "serve": x -> output_0
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float64, [None], name="x")
        tf.multiply(x, 2.0, name="y")
    (models / "frozen.pb").write_bytes(graph.as_graph_def().SerializeToString())


def prepare_store(spark, sandbox: Path) -> None:
    """The named models the pages use, with seeded random weights (no downloads)."""
    from sparkdl import models

    store = sandbox / "store"
    for name in ("InceptionV3", "ResNet50", "MobileNetV2"):
        models.prepare(name, weights="random", seed=0, store=str(store))
    spark.conf.set("spark.sparkdl.modelStore", str(store))


def run_python(all_blocks: list[Block], sandbox: Path) -> list[str]:
    import sparkdl

    spark = sparkdl.session(**{"spark.ui.showConsoleProgress": "false"})
    spark.sparkContext.setLogLevel("ERROR")
    prepare_store(spark, sandbox)
    failures = []
    by_page: dict[str, list[Block]] = {}
    for b in all_blocks:
        by_page.setdefault(b.page, []).append(b)
    for page_blocks in by_page.values():
        namespace: dict = {"spark": spark, "SANDBOX": str(sandbox), "__name__": "__doc__"}
        confs = dict(spark.conf.getAll)
        for block in page_blocks:
            if block.skip:
                print(f"skipped {block.where}: {block.skip}")
                continue
            started = time.monotonic()
            try:
                for name in block.setup:
                    exec(compile(PY_SETUPS[name], f"<setup {name}>", "exec"), namespace)
                exec(compile(sandboxed(block.code, sandbox), block.where, "exec"), namespace)
                for name in block.after:
                    exec(compile(PY_AFTER[name], f"<after {name}>", "exec"), namespace)
                print(f"ok      {block.where} ({time.monotonic() - started:.1f} s)")
            except Exception:  # noqa: BLE001 - each failure is reported, the run goes on
                failures.append(block.where)
                print(f"FAILED  {block.where}\n{traceback.format_exc(limit=6)}")
                break  # the page's later blocks build on this one
        for key, value in dict(spark.conf.getAll).items():
            if key not in confs:
                spark.conf.unset(key)
            elif confs[key] != value:
                spark.conf.set(key, confs[key])
    return failures


def scala_script(all_blocks: list[Block], sandbox: Path) -> str:
    parts = ["import spark.implicits._", "var docFailures = 0"]
    by_page: dict[str, list[Block]] = {}
    for b in all_blocks:
        by_page.setdefault(b.page, []).append(b)
    for page, page_blocks in by_page.items():
        body = []
        for block in page_blocks:
            if block.skip:
                print(f"skipped {block.where}: {block.skip}")
                continue
            body += [SCALA_SETUPS[n] for n in block.setup]
            body.append(f'println("doc-block start {block.where}")')
            body.append(sandboxed(block.code, sandbox))
            body.append(f'println("doc-block ok {block.where}")')
        if body:
            parts.append("try {\n" + "\n".join(body) + "\n} catch { case e: Throwable => "
                         f'docFailures += 1; println("doc-block FAILED {page}: " + e); '
                         "e.printStackTrace() }")
    parts.append('println("doc-block failures: " + docFailures)')
    parts.append("System.exit(if (docFailures == 0) 0 else 1)")
    return "\n".join(parts) + "\n"


def run_scala(all_blocks: list[Block], sandbox: Path) -> list[str]:
    import pyspark
    import sparkdl

    runnable = [b for b in all_blocks if not b.skip]
    script = sandbox / "doc_blocks.scala"
    script.write_text(scala_script(all_blocks, sandbox))
    if not runnable:
        return []
    shell = Path(pyspark.__file__).parent / "bin" / "spark-shell"
    jars = ",".join(sparkdl.bundled_jars())
    done = subprocess.run(
        [str(shell), "--master", "local[2]", "--jars", jars, "--conf", "spark.ui.enabled=false",
         "-I", str(script)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=sandbox, timeout=1200,
    )
    out = done.stdout + done.stderr
    ok = set(re.findall(r"^doc-block ok (\S+)", done.stdout, re.M))
    failures = [b.where for b in runnable if b.where not in ok]
    for b in runnable:
        print(("ok      " if b.where in ok else "FAILED  ") + f"{b.where} (scala)")
    if failures or done.returncode != 0:
        # The REPL reports compile errors as "error:" lines and goes on; show them.
        shown = [ln for ln in out.splitlines()
                 if "error" in ln.lower() or "doc-block" in ln or "Exception" in ln]
        print("\n".join(shown[-60:]))
        if not failures:
            failures.append(f"spark-shell exit {done.returncode}")
    return failures


def main(argv: list[str]) -> int:
    # Optional arguments: languages to run ("python", "scala"), and/or parts of page paths.
    only = [a for a in argv[1:] if a in ("python", "scala")]
    wanted = [a for a in argv[1:] if a not in ("python", "scala")]
    found = [b for p in pages() for b in blocks(p)
             if not wanted or any(w in str(p.relative_to(ROOT)) for w in wanted)]
    unknown = [f"{b.where}: setup '{n}'" for b in found for n in b.setup
               if n not in (PY_SETUPS if b.language == "python" else SCALA_SETUPS)]
    unknown += [f"{b.where}: after '{n}'" for b in found for n in b.after if n not in PY_AFTER]
    if unknown:
        raise SystemExit("run-doc-blocks: unknown names: " + "; ".join(unknown))
    started = time.monotonic()
    failures: list[str] = []
    sandbox = Path(tempfile.mkdtemp(prefix="sparkdl-doc-blocks-"))
    try:
        os.chdir(sandbox)
        prepare_sandbox(sandbox, ROOT / "target" / "fixtures")
        py = [b for b in found if b.language == "python"]
        sc = [b for b in found if b.language == "scala"]
        if not only or "python" in only:
            failures += run_python(py, sandbox)
        if not only or "scala" in only:
            failures += run_scala(sc, sandbox)
    finally:
        os.chdir(ROOT)
        shutil.rmtree(sandbox, ignore_errors=True)
    skipped = sum(1 for b in found if b.skip)
    print(f"run-doc-blocks: {len(found) - skipped} blocks run, {skipped} skipped, "
          f"{len(failures)} failed, {time.monotonic() - started:.0f} s")
    if failures:
        print("run-doc-blocks: failed: " + ", ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
