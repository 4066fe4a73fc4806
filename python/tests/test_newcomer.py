"""Issue 25's "from pip install to the original's examples with no surprises": what a newcomer
meets first. Points about the process's environment (a session without sparkdl's jars, workers'
interpreter) run a script in a fresh `python` with a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sparkdl

PYTHON_DIR = str(Path(sparkdl.__file__).resolve().parent.parent)
REPO = Path(PYTHON_DIR).parent


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no PYSPARK_PYTHON, no SPARKDL_JARS, no Spark confs."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": PYTHON_DIR,
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    for key in ("JAVA_HOME", "LANG", "TMPDIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra)
    return env


def _run(script: str, env: dict[str, str], cwd: Path, timeout: int = 300) -> dict:
    """Runs ``script`` with this interpreter (the virtualenv's, not activated); its last stdout
    line is the JSON it reports."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, f"script failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- a SparkSession built without sparkdl's jars ------------------------------------------

_PLAIN_SESSION = """
import json, tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf
from pyspark.sql import SparkSession

# What a user of PySpark writes first: no sparkdl jars on this session's classpath.
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()

import keras
import pytest
import sparkdl
from sparkdl import (
    KerasEstimator, KerasImageFileTransformer, KerasTransformer, TFModel, TFTransformer,
    readImages, registerModelUDF, runtime,
)
from sparkdl import tensorframes as tfs

v1 = tf.compat.v1
tmp = Path(tempfile.mkdtemp())
df = spark.createDataFrame([(1.0,), (2.0,)], ["x"])

mapped = tf.Graph()
with mapped.as_default():
    z = tf.multiply(v1.placeholder(tf.float64, [None], name="x"), 2.0, name="z")
blocks = tf.Graph()
with blocks.as_default():
    summed = tf.reduce_sum(v1.placeholder(tf.float64, [None], name="x_input"), 0, name="x")
rows = tf.Graph()
with rows.as_default():
    added = tf.add(v1.placeholder(tf.float64, [], name="x_1"),
                   v1.placeholder(tf.float64, [], name="x_2"), name="x")

model = keras.Sequential([keras.Input((2, 2, 3)), keras.layers.Flatten()])
model_file = str(tmp / "model.keras")
model.save(model_file)
(tmp / "images").mkdir()
uris = spark.createDataFrame([("file:/nowhere.png",)], ["uri"])

def block_in_a_graph():
    with tf.Graph().as_default():
        return tfs.block(df, "x")


entry_points = {
    "TFTransformer()": lambda: TFTransformer(),
    "KerasTransformer()": lambda: KerasTransformer(),
    "KerasEstimator()": lambda: KerasEstimator(),
    "TFTransformer.load": lambda: TFTransformer.load(str(tmp / "stage")),
    "KerasImageFileTransformer.transform": lambda: KerasImageFileTransformer(
        inputCol="uri", outputCol="out", modelFile=model_file,
        imageLoader=lambda uri: np.zeros((2, 2, 3), np.float32),
    ).transform(uris),
    "tfs.block": block_in_a_graph,
    "map_blocks": lambda: tfs.map_blocks(z, df),
    "map_rows": lambda: tfs.map_rows(z, df),
    "reduce_blocks": lambda: tfs.reduce_blocks(summed, df),
    "reduce_rows": lambda: tfs.reduce_rows(added, df),
    "aggregate": lambda: tfs.aggregate(summed, df.groupBy("x")),
    "analyze": lambda: tfs.analyze(df),
    "registerModelUDF": lambda: registerModelUDF(
        spark, "double_it", TFModel.from_graph_def(mapped.as_graph_def()), ["x"], ["z"]),
    "readImages": lambda: readImages(str(tmp / "images")),
    "TFModel.from_saved_model": lambda: TFModel.from_saved_model(str(tmp / "sm")).input_names(),
    "TFModel.from_graph_def": lambda: TFModel.from_graph_def(mapped.as_graph_def()).output_names(),
    "TFModel.from_keras": lambda: TFModel.from_keras(model).input_names(),
    "runtime.run_graph": lambda: runtime.run_graph(
        mapped.as_graph_def().SerializeToString(), {"x": np.ones(2)}, ["z"]),
}
said = {}
for name, call in entry_points.items():
    try:
        call()
        said[name] = "no error"
    except Exception as e:
        said[name] = f"{type(e).__name__}: {e}"
print(json.dumps(said))
"""


def test_every_entry_point_says_the_session_lacks_sparkdl(tmp_path):
    said = _run(_PLAIN_SESSION, _clean_env(), tmp_path)
    wrong = {}
    for entry, message in said.items():
        first_line = message.splitlines()[0]
        if not (
            first_line.startswith("RuntimeError: this SparkSession has no sparkdl on its classpath")
            and "sparkdl.session()" in first_line
            and "sparkdl.bundled_jars()" in first_line
            and "spark.jars" in first_line
        ):
            wrong[entry] = first_line
    assert not wrong, json.dumps(wrong, indent=1)


def test_the_advised_spark_jars_make_a_plain_session_run_sparkdl(tmp_path):
    said = _run(
        """
        import json
        import sparkdl
        from pyspark.sql import SparkSession
        from sparkdl import tensorframes as tfs

        spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
                 .config("spark.jars", ",".join(sparkdl.bundled_jars())).getOrCreate())
        df = spark.createDataFrame([(1.0,), (2.0,)], ["x"])
        out = tfs.map_blocks(lambda x: {"y": x * 3.0}, df)
        print(json.dumps([r.y for r in out.orderBy("x").collect()]))
        """,
        _clean_env(),
        tmp_path,
    )
    assert said == [3.0, 6.0]


# ---- Python workers run the driver's interpreter ------------------------------------------


def test_local_workers_run_the_drivers_python_not_python3_from_path(tmp_path):
    # A `python3` first on PATH that lacks numpy (and sparkdl): PySpark's default for workers.
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python3").symlink_to("/usr/bin/python3")
    lacks = subprocess.run([str(bare / "python3"), "-c", "import numpy"], capture_output=True)
    assert lacks.returncode != 0, "/usr/bin/python3 has numpy: this test needs one without"
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.raw").write_bytes(bytes(range(12)))
    env = _clean_env(PATH=f"{bare}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}")
    said = _run(
        """
        import json
        import numpy as np
        import sparkdl
        from sparkdl import readImagesWithCustomFn

        spark = sparkdl.session(master="local[1]", **{"spark.ui.enabled": "false"})
        df = readImagesWithCustomFn(
            "images", lambda b: np.frombuffer(b, np.uint8).reshape(2, 2, 3))
        print(json.dumps([[r.image.height, r.image.width, r.image.nChannels]
                          for r in df.collect()]))
        """,
        env,
        tmp_path,
    )
    assert said == [[2, 2, 3]]


# ---- a running session keeps its settings: say so ------------------------------------------


def test_session_warns_of_the_settings_a_running_session_keeps(spark):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        same = sparkdl.session()  # no settings asked: nothing to say
        assert same is spark
        assert [str(w.message) for w in caught] == []
        again = sparkdl.session(
            master="local[3]",
            app_name="another",
            **{"spark.driver.memory": "3g", "spark.sql.shuffle.partitions": "4"},
        )
    assert again is spark
    [warning] = [str(w.message) for w in caught]
    assert "already running and keeps its settings" in warning
    assert f"master {spark.sparkContext.master!r} (asked 'local[3]')" in warning
    assert "app_name 'sparkdl' (asked 'another')" in warning
    assert "spark.driver.memory None (asked '3g')" in warning
    assert "spark.sql.shuffle.partitions" not in warning  # a runtime setting: it applies
    assert caught[0].filename == __file__  # points at the caller's line


# ---- a pandas DataFrame where a Spark one is expected --------------------------------------


def test_stages_given_a_pandas_dataframe_say_what_they_expected(spark, tmp_path):
    import keras
    import numpy as np
    import pandas as pd
    from sparkdl import (
        KerasEstimator,
        KerasImageFileEstimator,
        KerasImageFileTransformer,
        TFModel,
        TFTransformer,
    )  # fmt: skip

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model_file = str(tmp_path / "m.keras")
    model.save(model_file)
    pdf = pd.DataFrame({"x": [[1.0, 2.0]], "uri": ["file:/nowhere.png"]})
    stages = {
        "TFTransformer.transform": lambda: TFTransformer(
            model=TFModel.from_keras(model), inputMapping={"x": "inputs"},
            outputMapping={"output_0": "y"}).transform(pdf),
        "KerasEstimator.fit": lambda: KerasEstimator(
            model=model, loss="mse", inputCol="x", verbose=0).fit(pdf),
        "KerasImageFileTransformer.transform": lambda: KerasImageFileTransformer(
            inputCol="uri", outputCol="out", modelFile=model_file,
            imageLoader=lambda uri: np.zeros((2,), np.float32)).transform(pdf),
        "KerasImageFileEstimator.fit": lambda: KerasImageFileEstimator(
            inputCol="uri", outputCol="out", labelCol="x", modelFile=model_file,
            imageLoader=lambda uri: np.zeros((2,), np.float32), kerasLoss="mse").fit(pdf),
    }  # fmt: skip
    for call, run in stages.items():
        with pytest.raises(TypeError) as e:
            run()
        message = str(e.value)
        verb = call.split(".")[1]
        assert f"{verb} takes a Spark DataFrame; found a pandas DataFrame" in message, message
        assert "spark.createDataFrame" in message, message
        assert call.split(".")[0] in message, message


# ---- one version for the wheel and the jar -------------------------------------------------


def _docs() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def test_the_wheel_and_the_jar_carry_one_version_the_readme_states():
    import re
    import zipfile

    from packaging.version import Version

    version = (REPO / "python" / "sparkdl" / "VERSION").read_text().strip()
    # Valid for PEP 440 as written (no normalisation) and a Maven release (no -SNAPSHOT).
    assert str(Version(version)) == version and re.fullmatch(r"\d+(\.\d+)*", version), version
    assert sparkdl.__version__ == version
    # Written once: the wheel's metadata reads the file, and no other file states a version.
    pyproject = (REPO / "python" / "pyproject.toml").read_text()
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M), "a version of its own"
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { file = "sparkdl/VERSION" }' in pyproject
    assert not re.search(r"^sparkdl\s*=", (REPO / "versions.properties").read_text(), re.M)
    init = (REPO / "python" / "sparkdl" / "__init__.py").read_text()
    assert version not in init, "sparkdl/__init__.py states the version"
    from importlib.metadata import version as installed_version

    assert installed_version("sparkdl") == version
    [jar] = [j for j in sparkdl.bundled_jars() if Path(j).name.startswith("sparkdl_")]
    assert Path(jar).name == f"sparkdl_2.13-{version}.jar"
    with zipfile.ZipFile(jar) as z:
        built = z.read("io/sparkdl/sparkdl.properties").decode()
    assert f"version={version}\n" in built, built
    readme = (REPO / "README.md").read_text()
    for artifact in (
        f"sparkdl-{version}-py3-none-linux_x86_64.whl",
        f"sparkdl-assembly-{version}.jar",
        f"io.sparkdl:sparkdl_2.13:{version}",
    ):
        assert artifact in readme, artifact
    for doc in _docs():
        for found in re.findall(r"io\.sparkdl:sparkdl_2\.13:([^\s`\"']+)", doc.read_text()):
            assert found == version or found.startswith("<"), f"{doc} names sparkdl {found}"


def test_the_docs_install_sparkdl_as_built_not_from_the_package_index():
    for doc in _docs():
        for n, line in enumerate(doc.read_text().splitlines(), 1):
            # `sparkdl` on the package index is another project; pip wheel without --no-deps
            # drops pyspark's and numpy's wheels next to sparkdl's.
            if "pip install sparkdl`" in line or "pip install sparkdl " in line:
                assert "unrelated" in line, f"{doc}:{n}: {line}"
            if "pip wheel" in line:
                assert "--no-deps" in line, f"{doc}:{n}: {line}"


# ---- optional dependencies: the extras that bring them -------------------------------------


def test_pyproject_has_the_image_and_plot_extras():
    import tomllib

    extras = tomllib.loads((Path(PYTHON_DIR) / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(d.lower().startswith("pillow") for d in extras["image"]), extras
    assert any(d.startswith("matplotlib") for d in extras["plot"]), extras


_MISSING_MODULE = """
import json, sys
sys.modules[{module!r}] = None  # as if the package were not installed
{call}
"""


@pytest.mark.parametrize(
    "module, call, extra",
    [
        ("PIL", "from sparkdl.plot import image_grid; image_grid([], 'g.png')", "image"),
        ("PIL", "from sparkdl.image import PIL_decode; PIL_decode(b'')", "image"),
        ("PIL", "from sparkdl.image import imageStructToPIL; imageStructToPIL(None)", "image"),
        ("PIL", "from sparkdl.image import PIL_decode_and_resize as d; d((2, 2))(b'')", "image"),
        ("matplotlib", "from sparkdl.plot import training_curves; training_curves({}, 'c.png')",
         "plot"),
    ],
)  # fmt: skip
def test_a_missing_optional_package_names_its_extra(tmp_path, module, call, extra):
    done = subprocess.run(
        [sys.executable, "-c", _MISSING_MODULE.format(module=module, call=call)],
        env=_clean_env(), cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError"), done.stderr[-2000:]
    assert f"pip install 'sparkdl[{extra}]'" in last, last


# ---- README's transfer learning: a named model is prepared on first use --------------------


def _image_frame(spark, rgb):
    import numpy as np
    from pyspark.sql import types as T
    from sparkdl.image import columnSchema, imageArrayToStruct

    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("image", columnSchema)])
    rows = [(i, imageArrayToStruct(np.ascontiguousarray(a[..., ::-1]), f"img{i}"))
            for i, a in enumerate(rgb)]  # fmt: skip
    return spark.createDataFrame(rows, schema)


def test_a_named_model_missing_from_the_store_is_prepared_on_first_use(
    spark, tmp_path, monkeypatch
):
    """As sparkdl 1.x fetched weights on first use: Keras' weights file in Keras' cache is all
    DeepImageFeaturizer needs. MobileNetV2's file (Keras publishes no hash for it) is one made
    here, with seeded random weights, saved as Keras publishes its files (legacy .h5)."""
    import keras
    import numpy as np
    from sparkdl import DeepImageFeaturizer
    from sparkdl.models._catalog import spec

    cache = tmp_path / "keras" / "models"
    cache.mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    keras.utils.set_random_seed(5)
    base = keras.applications.MobileNetV2(weights=None)
    base.save(cache / spec("MobileNetV2").file_name)
    store = tmp_path / "store"
    rng = np.random.default_rng(0)
    rgb = [rng.integers(0, 256, (224, 224, 3), dtype=np.uint8) for _ in range(2)]
    spark.conf.set("spark.sparkdl.modelStore", str(store))
    try:
        stage = DeepImageFeaturizer(inputCol="image", outputCol="f", modelName="MobileNetV2")
        with pytest.warns(UserWarning, match="MobileNetV2 is not in the model store .* preparing"):
            out = stage.transform(_image_frame(spark, rgb))
        got = np.stack([r.f.toArray() for r in out.orderBy("i").collect()])
    finally:
        spark.conf.unset("spark.sparkdl.modelStore")
    assert json.loads((store / "MobileNetV2" / "model.json").read_text())["weights"] == "imagenet"
    features = keras.Model(base.inputs, base.layers[-1].input)
    pixels = keras.applications.mobilenet_v2.preprocess_input(np.stack(rgb).astype(np.float32))
    expected = features.predict(pixels, verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-4 * max(np.abs(expected).max(), 1.0))


_OFFLINE = """
import json, os
import numpy as np
import sparkdl
from pyspark.sql import types as T
from sparkdl import DeepImageFeaturizer, DeepImagePredictor
from sparkdl.image import columnSchema, imageArrayToStruct

store = os.environ["STORE"]
spark = sparkdl.session(master="local[1]", **{"spark.ui.enabled": "false",
                                              "spark.sparkdl.modelStore": store})
schema = T.StructType([T.StructField("image", columnSchema)])
df = spark.createDataFrame([(imageArrayToStruct(np.zeros((4, 4, 3), np.uint8), "z"),)], schema)
sc = spark.sparkContext
sc.setJobGroup("offline", "offline")
errors = []
for stage in (DeepImageFeaturizer(inputCol="image", outputCol="features", modelName="InceptionV3"),
              DeepImagePredictor(inputCol="image", outputCol="p", modelName="InceptionV3")):
    try:
        stage.transform(df)
        errors.append(None)
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
print(json.dumps({"errors": errors, "jobs": list(sc.statusTracker().getJobIdsForGroup("offline")),
                  "store": os.path.exists(os.path.join(store, "InceptionV3"))}))
"""


def test_offline_without_weights_the_error_names_the_file_its_hash_and_every_way_out(tmp_path):
    """No weights in Keras' cache and no network (a proxy nobody listens on): one error, before
    any Spark job, that names Keras' file, its hash and all ways to a model, random ones too."""
    from sparkdl.models._catalog import spec

    s = spec("InceptionV3")
    store, keras_home = tmp_path / "store", tmp_path / "keras"
    dead = "http://127.0.0.1:9"
    proxies = {key: dead for key in ("https_proxy", "http_proxy", "HTTPS_PROXY", "HTTP_PROXY")}
    env = _clean_env(HOME=str(tmp_path), KERAS_HOME=str(keras_home), STORE=str(store), **proxies)
    report = _run(_OFFLINE, env, tmp_path)
    assert report["jobs"] == [] and report["store"] is False, report
    for error in report["errors"]:
        assert error is not None and error.startswith("WeightsError: "), error
        for part in (
            f"model InceptionV3 is not in the model store {store}",
            s.file_name,
            s.file_hash,
            str(keras_home / "models" / s.file_name),  # where to copy it
            s.origin,  # what Keras downloads when online
            f"weights='/path/to/{s.file_name}'",
            f"python -m sparkdl.models prepare InceptionV3 --weights /path/to/{s.file_name}",
            "python -m sparkdl.models prepare InceptionV3 --weights random",
            f"--store {store}",
        ):
            assert part in error, f"{part!r} not in: {error}"
