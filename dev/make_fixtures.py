"""Generate the TensorFlow test fixtures used by the sparkdl Scala tests.

Usage::

    python dev/make_fixtures.py OUT_DIR

Every fixture is written into ``OUT_DIR``: frozen GraphDefs (``*.pb``), two
SavedModel directories with JSON descriptions of their signatures, and
``.npy`` inputs with the outputs TensorFlow computes for them.  Expected
outputs of frozen graphs come from running the exact ``.pb`` bytes written to
disk; those of SavedModels from reloading the SavedModel and calling its
signature.

The output is deterministic (fixed seeds) and the script is idempotent: when
``OUT_DIR/.complete`` holds ``VERSION`` it returns at once, without importing
TensorFlow.  Bump ``VERSION`` whenever a fixture changes.

TensorFlow is imported inside the fixture functions so that this no-op path
stays fast.
"""

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["KERAS_BACKEND"] = "tensorflow"

VERSION = "v6"
COMPLETE_MARKER = ".complete"

# Dtypes of the ``dtypes.pb`` fixture, with the inputs written for them.
# Strings have no input file: the JVM test uses its own values.
DTYPE_INPUTS: dict[str, list[float | int | bool] | None] = {
    "float32": [-3.5, -0.5, 0.0, 1.25, 3.0e38],
    "float64": [-1e300, -0.5, 0.0, 2.5, 1e300],
    "int8": [-128, -1, 0, 1, 126],
    "int16": [-32768, -1, 0, 1, 32766],
    "int32": [-(2**31), -1, 0, 1, 2**31 - 2],
    "int64": [-(2**63), -1, 0, 1, 2**63 - 2],
    "uint8": [0, 1, 2, 128, 254],
    "bool": [True, False, True, True, False],
    "string": None,
}
# Dtypes that also get a ``plus_<d> = x_<d> + 1`` op and expected output.
PLUS_DTYPES = ["float32", "float64", "int8", "int16", "int32", "int64", "uint8"]


def save_npy(out_dir: Path, name: str, array: np.ndarray) -> None:
    """Save ``array`` as little-endian, C-ordered ``out_dir/name.npy``.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    name : str
        File name without the ``.npy`` suffix.
    array : np.ndarray
        Array to save; must not be an object array.
    """
    array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    np.save(out_dir / f"{name}.npy", array, allow_pickle=False)


def write_graph_def(graph_def: object, path: Path) -> None:
    """Serialize a ``GraphDef`` proto deterministically to ``path``.

    Parameters
    ----------
    graph_def : tf.compat.v1.GraphDef
        The graph to write.
    path : Path
        Destination ``.pb`` file.
    """
    path.write_bytes(graph_def.SerializeToString(deterministic=True))


def run_frozen_graph(
    path: Path, feeds: dict[str, np.ndarray], fetches: list[str]
) -> list[np.ndarray]:
    """Run a frozen graph file in a fresh graph and session.

    Parameters
    ----------
    path : Path
        Serialized ``GraphDef`` file.
    feeds : dict[str, np.ndarray]
        Tensor name (e.g. ``"x:0"``) to input value.
    fetches : list[str]
        Tensor names to fetch.

    Returns
    -------
    list[np.ndarray]
        The fetched values, in the order of ``fetches``.
    """
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    with tf.Graph().as_default() as graph:
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        return session.run(fetches, feed_dict=feeds)


def describe_signatures(saved_model_dir: Path) -> dict[str, dict]:
    """Read the signatures of a SavedModel's ``serve`` MetaGraphDef.

    Internal entries such as ``__saved_model_init_op`` are left out.

    Parameters
    ----------
    saved_model_dir : Path
        Directory holding ``saved_model.pb``.

    Returns
    -------
    dict[str, dict]
        ``{signature_key: {"inputs": {key: info}, "outputs": {key: info}}}``
        where ``info`` is ``{"name": tensor name, "dtype": dtype name,
        "shape": list of dims with -1 for unknown, or None for unknown
        rank}``.
    """
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString((saved_model_dir / "saved_model.pb").read_bytes())
    (meta_graph,) = [mg for mg in saved_model.meta_graphs if "serve" in mg.meta_info_def.tags]

    def tensors(infos: dict) -> dict[str, dict]:
        return {
            key: {
                "name": info.name,
                "dtype": tf.as_dtype(info.dtype).name,
                "shape": None
                if info.tensor_shape.unknown_rank
                else [dim.size for dim in info.tensor_shape.dim],
            }
            for key, info in sorted(infos.items())
        }

    return {
        key: {"inputs": tensors(sig.inputs), "outputs": tensors(sig.outputs)}
        for key, sig in sorted(meta_graph.signature_def.items())
        if not key.startswith("__")
    }


def write_json(path: Path, value: object) -> None:
    """Write ``value`` as stable, indented JSON.

    Parameters
    ----------
    path : Path
        Destination file.
    value : object
        JSON-serializable value.
    """
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


def make_identity(out_dir: Path) -> None:
    """Write ``identity.pb``: ``y = identity(x)``, float32 ``[None]``.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        tf.identity(x, name="y")
    write_graph_def(graph.as_graph_def(), out_dir / "identity.pb")


def make_add(out_dir: Path) -> None:
    """Write ``add.pb`` (``z = a + b``, float32 ``[None, 3]``) and its data.

    ``add_a`` and ``add_b`` are drawn in that order from one
    ``RandomState(1)``.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        a = tf.compat.v1.placeholder(tf.float32, [None, 3], name="a")
        b = tf.compat.v1.placeholder(tf.float32, [None, 3], name="b")
        tf.add(a, b, name="z")
    path = out_dir / "add.pb"
    write_graph_def(graph.as_graph_def(), path)

    rng = np.random.RandomState(1)
    a_value = rng.standard_normal((4, 3)).astype(np.float32)
    b_value = rng.standard_normal((4, 3)).astype(np.float32)
    (z_value,) = run_frozen_graph(path, {"a:0": a_value, "b:0": b_value}, ["z:0"])
    save_npy(out_dir, "add_a", a_value)
    save_npy(out_dir, "add_b", b_value)
    save_npy(out_dir, "add_z", z_value)


def make_dense(out_dir: Path) -> None:
    """Write ``dense.pb``, a frozen 4 -> 8 (relu) -> 3 network, and its data.

    Weights come from ``RandomState(0)``; the input ``dense_x`` from
    ``RandomState(2)``.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    import tensorflow as tf

    rng = np.random.RandomState(0)
    weights = {
        "W1": rng.standard_normal((4, 8)).astype(np.float32),
        "b1": rng.standard_normal(8).astype(np.float32),
        "W2": rng.standard_normal((8, 3)).astype(np.float32),
        "b2": rng.standard_normal(3).astype(np.float32),
    }
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        v = {name: tf.Variable(value, name=name) for name, value in weights.items()}
        hidden = tf.nn.relu(tf.matmul(x, v["W1"]) + v["b1"], name="hidden")
        tf.add(tf.matmul(hidden, v["W2"]), v["b2"], name="out")
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
                session, graph.as_graph_def(), ["out"]
            )
    path = out_dir / "dense.pb"
    write_graph_def(frozen, path)

    x_value = np.random.RandomState(2).standard_normal((5, 4)).astype(np.float32)
    (out_value,) = run_frozen_graph(path, {"x:0": x_value}, ["out:0"])
    save_npy(out_dir, "dense_x", x_value)
    save_npy(out_dir, "dense_out", out_value)


def make_dtypes(out_dir: Path) -> None:
    """Write ``dtypes.pb``: ``y_<d> = identity(x_<d>)`` for each dtype ``d``.

    Numeric dtypes other than bool also get ``plus_<d> = x_<d> + 1``, with
    inputs ``dtypes_x_<d>.npy`` and expected ``dtypes_plus_<d>.npy``.  Bool
    gets only its input file, string none.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        for name in DTYPE_INPUTS:
            dtype = tf.as_dtype(name)
            x = tf.compat.v1.placeholder(dtype, [None], name=f"x_{name}")
            tf.identity(x, name=f"y_{name}")
            if name in PLUS_DTYPES:
                one = tf.constant(1, dtype, name=f"one_{name}")
                tf.add(x, one, name=f"plus_{name}")
    path = out_dir / "dtypes.pb"
    write_graph_def(graph.as_graph_def(), path)

    inputs = {
        name: np.array(values, dtype=name)
        for name, values in DTYPE_INPUTS.items()
        if values is not None
    }
    plus = run_frozen_graph(
        path,
        {f"x_{name}:0": inputs[name] for name in PLUS_DTYPES},
        [f"plus_{name}:0" for name in PLUS_DTYPES],
    )
    for name, value in inputs.items():
        save_npy(out_dir, f"dtypes_x_{name}", value)
    for name, value in zip(PLUS_DTYPES, plus, strict=True):
        assert value.dtype == np.dtype(name), (name, value.dtype)
        save_npy(out_dir, f"dtypes_plus_{name}", value)


def make_saved_model(out_dir: Path) -> None:
    """Write ``saved_model_two_sigs/`` with signatures ``serving_default``, ``sum``.

    ``serving_default``: ``x`` float32 ``[None, 2]`` -> ``y = x @ w + 1``.
    ``sum``: ``a``, ``b`` float32 ``[None]`` -> ``total = a + b``,
    ``diff = a - b``.  Inputs ``sm_x`` (``RandomState(3)``), ``sm_a`` and
    ``sm_b`` (in that order from ``RandomState(4)``); expected ``sm_y``,
    ``sm_total``, ``sm_diff``; ``saved_model_two_sigs.json`` describes the
    signatures.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    import tensorflow as tf

    class TwoSigs(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, "x")])
        def predict(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.matmul(x, self.w) + 1.0}

        @tf.function(
            input_signature=[
                tf.TensorSpec([None], tf.float32, "a"),
                tf.TensorSpec([None], tf.float32, "b"),
            ]
        )
        def sum(self, a: tf.Tensor, b: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"total": a + b, "diff": a - b}

    module = TwoSigs()
    path = out_dir / "saved_model_two_sigs"
    shutil.rmtree(path, ignore_errors=True)
    tf.saved_model.save(
        module,
        str(path),
        signatures={"serving_default": module.predict, "sum": module.sum},
    )

    x_value = np.random.RandomState(3).standard_normal((3, 2)).astype(np.float32)
    rng = np.random.RandomState(4)
    a_value = rng.standard_normal(4).astype(np.float32)
    b_value = rng.standard_normal(4).astype(np.float32)
    loaded = tf.saved_model.load(str(path))
    y_value = loaded.signatures["serving_default"](x=tf.constant(x_value))["y"]
    sums = loaded.signatures["sum"](a=tf.constant(a_value), b=tf.constant(b_value))
    save_npy(out_dir, "sm_x", x_value)
    save_npy(out_dir, "sm_y", y_value.numpy())
    save_npy(out_dir, "sm_a", a_value)
    save_npy(out_dir, "sm_b", b_value)
    save_npy(out_dir, "sm_total", sums["total"].numpy())
    save_npy(out_dir, "sm_diff", sums["diff"].numpy())
    write_json(out_dir / "saved_model_two_sigs.json", describe_signatures(path))


def export_keras_mlp(path: Path, hidden_units: int, seed: int, x_seed: int) -> tuple:
    """Export a seeded Keras MLP 10 -> ``hidden_units`` (relu) -> 1 (sigmoid) to ``path``.

    Initializer seeds are ``seed`` .. ``seed + 3``.  ``model.export`` writes the
    signatures ``serve`` and ``serving_default`` (input key ``x``, output key
    ``output_0``).

    Parameters
    ----------
    path : Path
        SavedModel directory (replaced).
    hidden_units : int
        Width of the hidden layer.
    seed : int
        First of the four initializer seeds.
    x_seed : int
        Seed of the 20 x 10 standard normal input.

    Returns
    -------
    tuple
        The input and ``model.predict`` of it.
    """
    import keras

    def dense(units: int, activation: str, first_seed: int):
        return keras.layers.Dense(
            units,
            activation=activation,
            kernel_initializer=keras.initializers.GlorotUniform(seed=first_seed),
            bias_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=first_seed + 1),
        )

    inputs = keras.Input(shape=(10,), name="x")
    outputs = dense(1, "sigmoid", seed + 2)(dense(hidden_units, "relu", seed)(inputs))
    model = keras.Model(inputs, outputs, name=path.name)
    shutil.rmtree(path, ignore_errors=True)
    model.export(str(path), format="tf_saved_model", verbose=False)
    x_value = np.random.RandomState(x_seed).standard_normal((20, 10)).astype(np.float32)
    return x_value, model.predict(x_value, verbose=0)


def make_keras_mlp(out_dir: Path) -> None:
    """Write ``keras_mlp/``, a Keras 3 MLP 10 -> 16 (relu) -> 1 (sigmoid).

    Signatures described in ``keras_mlp.json``.  Input ``keras_x`` from
    ``RandomState(5)``; expected ``keras_y`` from ``model.predict``.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    path = out_dir / "keras_mlp"
    x_value, y_value = export_keras_mlp(path, hidden_units=16, seed=10, x_seed=5)
    save_npy(out_dir, "keras_x", x_value)
    save_npy(out_dir, "keras_y", y_value)
    write_json(out_dir / "keras_mlp.json", describe_signatures(path))


# Dtypes of the ``reduce_max.pb`` fixture used by the ML stage tests.
REDUCE_MAX_DTYPES = ["int32", "int64", "float32", "float64"]


def make_reduce_max(out_dir: Path) -> None:
    """Write ``reduce_max.pb``: ``max_<d> = reduce_max(x_<d>, axis=1)``.

    One float/int placeholder ``x_<d>`` of shape ``[None, None]`` per dtype in
    ``REDUCE_MAX_DTYPES``.  Inputs ``reduce_max_x_<d>`` (100 rows of 7 values,
    drawn in dtype order from ``RandomState(6)``); expected
    ``reduce_max_y_<d>`` from running the ``.pb``.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        for name in REDUCE_MAX_DTYPES:
            x = tf.compat.v1.placeholder(tf.as_dtype(name), [None, None], name=f"x_{name}")
            tf.reduce_max(x, axis=1, name=f"max_{name}")
    path = out_dir / "reduce_max.pb"
    write_graph_def(graph.as_graph_def(), path)

    rng = np.random.RandomState(6)
    inputs = {}
    for name in REDUCE_MAX_DTYPES:
        if name.startswith("int"):
            inputs[name] = rng.randint(-1000, 1000, size=(100, 7)).astype(name)
        else:
            inputs[name] = (rng.standard_normal((100, 7)) * 100).astype(name)
    outputs = run_frozen_graph(
        path,
        {f"x_{name}:0": inputs[name] for name in REDUCE_MAX_DTYPES},
        [f"max_{name}:0" for name in REDUCE_MAX_DTYPES],
    )
    for name, value in zip(REDUCE_MAX_DTYPES, outputs, strict=True):
        assert value.dtype == np.dtype(name), (name, value.dtype)
        save_npy(out_dir, f"reduce_max_x_{name}", inputs[name])
        save_npy(out_dir, f"reduce_max_y_{name}", value)


def make_two_input(out_dir: Path) -> None:
    """Write ``two_input.pb`` and ``saved_model_two_input/``: ``reduce_max(x1 - x2)``.

    The frozen graph has float32 placeholders ``x1``, ``x2`` of shape
    ``[None, 4]`` and the fetch ``max_diff = reduce_max(x1 - x2, axis=1)``.
    The SavedModel's ``serving_default`` signature computes the same with
    input keys ``x1``, ``x2`` and output key ``max_diff``.  Inputs
    ``two_input_x1`` and ``two_input_x2`` (in that order from
    ``RandomState(7)``, 30 rows); expected ``two_input_pb_y`` (the ``.pb``)
    and ``two_input_sm_y`` (the reloaded SavedModel).

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        x1 = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x1")
        x2 = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x2")
        tf.reduce_max(x1 - x2, axis=1, name="max_diff")
    pb_path = out_dir / "two_input.pb"
    write_graph_def(graph.as_graph_def(), pb_path)

    class TwoInput(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.float32, "x1"),
                tf.TensorSpec([None, 4], tf.float32, "x2"),
            ]
        )
        def max_diff(self, x1: tf.Tensor, x2: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"max_diff": tf.reduce_max(x1 - x2, axis=1)}

    module = TwoInput()
    sm_path = out_dir / "saved_model_two_input"
    shutil.rmtree(sm_path, ignore_errors=True)
    tf.saved_model.save(module, str(sm_path), signatures={"serving_default": module.max_diff})

    rng = np.random.RandomState(7)
    x1_value = rng.standard_normal((30, 4)).astype(np.float32)
    x2_value = rng.standard_normal((30, 4)).astype(np.float32)
    (pb_y,) = run_frozen_graph(pb_path, {"x1:0": x1_value, "x2:0": x2_value}, ["max_diff:0"])
    loaded = tf.saved_model.load(str(sm_path))
    sm_y = loaded.signatures["serving_default"](x1=tf.constant(x1_value), x2=tf.constant(x2_value))
    save_npy(out_dir, "two_input_x1", x1_value)
    save_npy(out_dir, "two_input_x2", x2_value)
    save_npy(out_dir, "two_input_pb_y", pb_y)
    save_npy(out_dir, "two_input_sm_y", sm_y["max_diff"].numpy())


def make_keras_dense10(out_dir: Path) -> None:
    """Write ``keras_dense10/``: Keras Dense(10, relu) -> Dense(1, sigmoid) on 10 floats.

    Input ``keras_dense10_x`` (20 rows from ``RandomState(8)``); expected
    ``keras_dense10_y`` from ``model.predict``.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    path = out_dir / "keras_dense10"
    x_value, y_value = export_keras_mlp(path, hidden_units=10, seed=20, x_seed=8)
    save_npy(out_dir, "keras_dense10_x", x_value)
    save_npy(out_dir, "keras_dense10_y", y_value)


def make_keras_reshape(out_dir: Path) -> None:
    """Write ``keras_reshape/``: Keras Reshape([2, 3]) of ``[3, 2]`` float cells.

    Exported like ``keras_dense10/``.  Input ``keras_reshape_x`` (6 rows of
    ``3 x 2`` from ``RandomState(9)``); expected ``keras_reshape_y``
    (``[6, 2, 3]``) from ``model.predict``.

    Parameters
    ----------
    out_dir : Path
        Fixture directory.
    """
    import keras

    inputs = keras.Input(shape=(3, 2), name="x")
    outputs = keras.layers.Reshape((2, 3))(inputs)
    model = keras.Model(inputs, outputs, name="keras_reshape")
    path = out_dir / "keras_reshape"
    shutil.rmtree(path, ignore_errors=True)
    model.export(str(path), format="tf_saved_model", verbose=False)

    x_value = np.random.RandomState(9).standard_normal((6, 3, 2)).astype(np.float32)
    save_npy(out_dir, "keras_reshape_x", x_value)
    save_npy(out_dir, "keras_reshape_y", model.predict(x_value, verbose=0))


def make_keras_trainable(out_dir: Path) -> None:
    """Write ``keras_trainable/`` (sparkdl's trainable SavedModel of a seeded 8-16-3 MLP, Adam)
    and ``trainable_{x,y}.npy`` with Keras ``fit``'s predictions after 3 and 6 epochs
    (``trainable_after3.npy``, ``trainable_after6.npy``; batches of 16, no shuffling, lr 0.05).
    """
    import keras
    from sparkdl._trainable import export_trainable

    def mlp() -> keras.Model:
        keras.utils.set_random_seed(1)
        return keras.Sequential([
            keras.Input((8,), name="x"),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ])

    rng = np.random.RandomState(4)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.randint(0, 3, 64)]
    path = out_dir / "keras_trainable"
    shutil.rmtree(path, ignore_errors=True)
    export_trainable(mlp(), "categorical_crossentropy", "adam", ["accuracy"], str(path))
    fitted = mlp()
    fitted.compile(optimizer=keras.optimizers.Adam(0.05), loss="categorical_crossentropy")
    save_npy(out_dir, "trainable_x", x)
    save_npy(out_dir, "trainable_y", y)
    for epochs in (3, 6):
        fitted.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        save_npy(out_dir, f"trainable_after{epochs}", fitted.predict(x, verbose=0))


def make_keras_trainable_wide(out_dir: Path) -> None:
    """Write ``keras_trainable_wide/``: a trainable 512-3 softmax layer (SGD), for training on a
    few hundred MB of rows (the no-collect test)."""
    import keras
    from sparkdl._trainable import export_trainable

    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((512,), name="x"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    path = out_dir / "keras_trainable_wide"
    shutil.rmtree(path, ignore_errors=True)
    export_trainable(model, "categorical_crossentropy", "sgd", None, str(path))


FIXTURES = [
    ("identity.pb", make_identity),
    ("add.pb", make_add),
    ("dense.pb", make_dense),
    ("dtypes.pb", make_dtypes),
    ("saved_model_two_sigs/", make_saved_model),
    ("keras_mlp/", make_keras_mlp),
    ("reduce_max.pb", make_reduce_max),
    ("two_input.pb", make_two_input),
    ("keras_dense10/", make_keras_dense10),
    ("keras_reshape/", make_keras_reshape),
    ("keras_trainable/", make_keras_trainable),
    ("keras_trainable_wide/", make_keras_trainable_wide),
]


def main(argv: list[str] | None = None) -> int:
    """Generate all fixtures into the directory named on the command line.

    Parameters
    ----------
    argv : list[str] or None
        Command-line arguments without the program name; ``sys.argv[1:]`` if
        None.

    Returns
    -------
    int
        Process exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="directory to write into")
    out_dir: Path = parser.parse_args(argv).out_dir

    marker = out_dir / COMPLETE_MARKER
    if marker.is_file() and marker.read_text() == VERSION:
        print(f"fixtures {VERSION} already complete in {out_dir}")
        return 0

    out_dir.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)

    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    tf.random.set_seed(0)
    for name, make in FIXTURES:
        start = time.monotonic()
        make(out_dir)
        print(f"{name} ({time.monotonic() - start:.1f}s)")
    marker.write_text(VERSION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
