"""sparkdl from a Spark Connect client (docs/connect.md).

A Spark Connect server starts with sparkdl's jars and command plugin (``spark-submit`` of
``SparkConnectServer``, as ``start-connect-server.sh`` runs it); ``connect_client.py`` runs
``TFTransformer``, ``KerasTransformer`` and a model SQL function through it, in a Python with
PySpark's Connect client and no JVM (``.venv-connect``, which dev/setup makes: TensorFlow 2.18
and PySpark 4.2's Connect client need protobuf versions that cannot share one environment).
Its results must equal this process's classic session's, and Keras' / TF's within 1e-5.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import keras
import numpy as np
import pyspark
import pytest
import tensorflow as tf
from sparkdl import _connect
from sparkdl.ml import KerasTransformer, TFTransformer
from sparkdl.model import TFModel
from sparkdl.session import connect_server_conf
from sparkdl.udf import registerModelUDF

REPO = Path(__file__).resolve().parents[2]
CLIENT = Path(__file__).with_name("connect_client.py")
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT_S = 120


def _client_python() -> Path:
    configured = os.environ.get("SPARKDL_CONNECT_PYTHON")
    python = Path(configured) if configured else REPO / ".venv-connect" / "bin" / "python"
    if not python.is_file():
        pytest.fail(
            f"no Spark Connect client Python at {python}: run dev/setup (it makes .venv-connect) "
            "or set SPARKDL_CONNECT_PYTHON"
        )
    return python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


class _Server:
    """A Spark Connect server process starting in the background."""

    def __init__(self, process: subprocess.Popen, port: int, log_path: Path) -> None:
        self.process, self.port, self.log_path = process, port, log_path

    def url(self) -> str:
        """The server's URL, once it listens (fails if it exits or takes too long)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # a condition polled, not a fixed wait
            if self.process.poll() is not None:
                log_tail = self.log_path.read_text()[-3000:]
                pytest.fail(f"the Connect server exited ({self.process.returncode}):\n{log_tail}")
            try:
                socket.create_connection(("localhost", self.port), timeout=1).close()
                return f"sc://localhost:{self.port}"
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the Connect server did not listen within {START_TIMEOUT_S} s")
                time.sleep(0.25)


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    """A Spark Connect server with sparkdl (local[2]), stopped after the module's tests."""
    port = _free_port()
    conf = {
        **connect_server_conf(),
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",
    }
    command = [
        str(Path(pyspark.__file__).parent / "bin" / "spark-submit"),
        "--class", SERVER_CLASS,
        "--master", "local[2]",
        *[arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")],
        "spark-internal",
    ]  # fmt: skip
    log_path = tmp_path_factory.mktemp("connect") / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield _Server(process, port, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> tuple[Path, keras.Model, np.ndarray]:
    """Inputs both sides read: x.npy, a seeded Keras model as a SavedModel, a frozen graph."""
    work = tmp_path_factory.mktemp("connect-work")
    x = np.random.default_rng(3).normal(size=(23, 10)).astype(np.float32)
    np.save(work / "x.npy", x)
    keras.utils.set_random_seed(5)
    model = keras.Sequential(
        [
            keras.Input((10,), name="x"),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.export(str(work / "keras_model"), format="tf_saved_model", verbose=False)
    with tf.Graph().as_default() as graph:
        ph = tf.compat.v1.placeholder(tf.float32, [None, 10], name="x")
        w = tf.constant(np.random.default_rng(4).normal(size=(10, 2)).astype(np.float32))
        tf.tanh(tf.matmul(ph, w) + 0.5, name="out")
    (work / "graph.pb").write_bytes(graph.as_graph_def().SerializeToString())
    return work, model, x


def _classic(spark, work: Path, keras_model: keras.Model, x: np.ndarray) -> dict:
    """What test_connect's client runs, in this process's classic session."""
    df = spark.createDataFrame(
        [(i, [float(v) for v in row]) for i, row in enumerate(x)], ["i", "x"]
    )
    saved = TFModel.from_saved_model(str(work / "keras_model"))

    def column(frame, name):
        return [row[name] for row in frame.orderBy("i").collect()]

    tf_saved = TFTransformer(model=saved, inputMapping={"x": "x"}, outputMapping={"output_0": "y"})
    tf_frozen = TFTransformer(
        model=TFModel.from_graph_def((work / "graph.pb").read_bytes()),
        inputMapping={"x": "x"},
        outputMapping={"out:0": "y"},
        batchSize=7,
    )
    keras_stage = KerasTransformer(
        model=keras_model, inputCol="x", outputCol="y", outputMode="vector"
    )
    udf = registerModelUDF(spark, "keras_mlp_classic", saved, batch_size=5)
    df.createOrReplaceTempView("features_classic")
    return {
        "tf_saved": column(tf_saved.transform(df), "y"),
        "tf_frozen": column(tf_frozen.transform(df), "y"),
        "keras": [v.toArray().tolist() for v in column(keras_stage.transform(df), "y")],
        "sql": column(spark.sql("SELECT i, keras_mlp_classic(x) AS y FROM features_classic"), "y"),
        "udf": {"inputs": udf.inputs, "outputs": udf.outputs},
    }


def test_stages_and_model_functions_from_a_connect_client(spark, connect_server, work):
    work_dir, keras_model, x = work
    client_python = _client_python()
    classic = _classic(spark, work_dir, keras_model, x)  # while the server starts
    env = {**os.environ, "PYTHONPATH": str(Path(_connect.__file__).parents[1])}
    run = subprocess.run(
        [str(client_python), str(CLIENT), connect_server.url(), str(work_dir)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    remote = json.loads((work_dir / "connect.json").read_text())

    # Through Connect, the same engine runs the same model bytes: results are identical.
    for key in ("tf_saved", "tf_frozen", "keras", "sql"):
        assert np.array_equal(np.array(remote[key]), np.array(classic[key])), key
    assert remote["dataframe_api"] == remote["sql"]
    assert remote["udf"] == {"name": "keras_mlp", **classic["udf"]}
    assert "TFEstimator" in remote["fit_error"] and "Spark Connect" in remote["fit_error"]
    assert "TFTransformer" in remote["bad_column_error"] and "'nope'" in remote["bad_column_error"]
    assert "registerKerasImageUDF" in remote["image_udf_error"]
    assert remote["read_images_error"].startswith("readImages is not supported through Spark Co")
    assert "binaryFile" in remote["read_images_error"]
    assert remote["custom_fn_error"].startswith("readImagesWithCustomFn is not supported")

    # Saved through Connect, by the server: the stage a classic session loads and runs the same.
    loaded = TFTransformer.load(str(work_dir / "saved_stage"))
    assert loaded.uid == remote["saved_uid"] and loaded.getBatchSize() == 3  # overwritten
    original = TFModel.from_saved_model(str(work_dir / "keras_model"))._to_java(spark)
    assert loaded.getModel()._to_java(spark).equals(original)
    df = spark.createDataFrame([(i, [float(v) for v in r]) for i, r in enumerate(x)], ["i", "x"])
    ys = [row["y"] for row in loaded.transform(df).orderBy("i").collect()]
    assert np.array_equal(np.array(ys), np.array(classic["tf_saved"]))
    assert "already exists" in remote["save_twice_error"], remote["save_twice_error"]
    assert "TFTransformer.load" in remote["load_error"] and "classic" in remote["load_error"]
    assert "TFEstimator" in remote["estimator_save_error"]
    assert "Spark Connect" in remote["estimator_save_error"]
    # A hostile client's archive entry leading out of the save path: refused, nothing written.
    assert "'../../../ESCAPED.txt'" in remote["zip_slip_error"], remote["zip_slip_error"]
    assert "refused" in remote["zip_slip_error"]
    assert not (work_dir / "hostile" / "ESCAPED.txt").exists()
    assert not (work_dir / "ESCAPED.txt").exists()
    missing = remote["missing_path_error"]
    assert str(work_dir / "no_such_model") in missing and "does not exist" in missing, missing

    # And both are what Keras and TF compute.
    expected = keras_model.predict(x, verbose=0)
    for key in ("tf_saved", "keras", "sql"):
        np.testing.assert_allclose(np.array(remote[key]), expected, atol=1e-5, err_msg=key)
    with tf.Graph().as_default() as graph:
        graph_def = tf.compat.v1.GraphDef.FromString((work_dir / "graph.pb").read_bytes())
        tf.graph_util.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            frozen_expected = session.run("out:0", {"x:0": x})
    np.testing.assert_allclose(np.array(remote["tf_frozen"]), frozen_expected, atol=1e-5)


def test_the_python_wire_format_is_the_one_the_jvm_decodes(spark, work):
    """sparkdl._connect.encode_model (Python) against io.sparkdl.model.ModelWireFormat (Scala)."""
    work_dir = work[0]
    decode = spark.sparkContext._jvm.io.sparkdl.model.ModelWireFormat.decode
    for model in (
        TFModel.from_saved_model(str(work_dir / "keras_model")),
        TFModel.from_saved_model((work_dir / "keras_model").as_uri()),
        TFModel.from_graph_def_file(str(work_dir / "graph.pb")),
        TFModel.from_graph_def((work_dir / "graph.pb").read_bytes()),
    ):
        decoded = decode(_connect.encode_model(model))
        assert decoded.equals(model._to_java(spark)), model  # same content key and signature
    with pytest.raises(ValueError, match="not a local path"):
        _connect.encode_model(TFModel.from_saved_model("hdfs://nn/models/m"))
    jvm_error = spark.sparkContext._jvm.io.sparkdl.model.ModelWireFormat
    with pytest.raises(Exception, match="sparkdl-model/1"):
        jvm_error.decode("/models/m")
