"""Image stages and functions against Keras and PIL on the same inputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from PIL import Image
from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException, IllegalArgumentException
from pyspark.ml.linalg import DenseVector
from pyspark.sql import types as T
from sparkdl import KerasImageFileTransformer, TFImageTransformer
from sparkdl.image import columnSchema, imageArrayToStruct, imageStructToArray
from sparkdl.model import TFModel

HEIGHT, WIDTH = 6, 5
JOB_ERRORS = (Py4JJavaError, CapturedException)


def _cnn(channels: int, seed: int = 7) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((HEIGHT, WIDTH, channels), name="image"),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax"),
    ])


def _rgb_images(seed: int = 3) -> list[np.ndarray]:
    """RGB uint8 images of several sizes, the model's own among them."""
    rng = np.random.default_rng(seed)
    sizes = [(HEIGHT, WIDTH), (9, 7), (4, 4), (HEIGHT, WIDTH), (12, 10)]
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sizes]


def _frame(spark, rgb: list[np.ndarray | None]):
    rows = [
        (i, None if a is None else imageArrayToStruct(a[..., ::-1].copy(), f"img{i}"))
        for i, a in enumerate(rgb)
    ]
    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("image", columnSchema)])
    return spark.createDataFrame(rows, schema)


def _resized(rgb: np.ndarray, mode: str = "RGB") -> np.ndarray:
    """PIL's area (BOX) resize to the model's size, in PIL mode `mode`, as float32."""
    img = Image.fromarray(rgb, "RGB").convert(mode).resize((WIDTH, HEIGHT), Image.Resampling.BOX)
    out = np.asarray(img, dtype=np.float32)
    return out[..., None] if out.ndim == 2 else out


@pytest.mark.parametrize("order", ["RGB", "BGR"])
def test_tf_image_transformer_equals_keras_on_resized_images(spark, order):
    model = _cnn(3)
    rgb = _rgb_images()
    stage = TFImageTransformer(model=model, inputCol="image", outputCol="probs", channelOrder=order)
    out = stage.transform(_frame(spark, rgb)).orderBy("i").collect()
    batch = np.stack([_resized(a) for a in rgb])
    if order == "BGR":
        batch = batch[..., ::-1]
    expected = model.predict(batch, verbose=0)
    got = np.stack([r.probs.toArray() for r in out])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert isinstance(out[0].probs, DenseVector)


def test_tf_image_transformer_in_gray(spark):
    model = _cnn(1)
    rgb = _rgb_images(seed=5)
    gray_struct = imageArrayToStruct(np.asarray(Image.fromarray(rgb[0]).convert("L")), "gray")
    df = _frame(spark, rgb)
    gray = spark.createDataFrame([(99, gray_struct)], df.schema)
    stage = TFImageTransformer(model=model, inputCol="image", outputCol="p", channelOrder="L")
    out = stage.transform(df.union(gray)).orderBy("i").collect()
    batch = np.stack([_resized(a, "L") for a in rgb] + [_resized(rgb[0], "L")])
    expected = model.predict(batch, verbose=0)
    np.testing.assert_allclose(np.stack([r.p.toArray() for r in out]), expected, atol=1e-5)


def test_tf_image_transformer_image_output_is_an_image_struct(spark):
    keras.utils.set_random_seed(11)
    model = keras.Sequential([
        keras.Input((HEIGHT, WIDTH, 3), name="image"),
        keras.layers.Conv2D(3, 3, padding="same"),
    ])
    rgb = _rgb_images()[:2]
    stage = TFImageTransformer(model=model, inputCol="image", outputCol="out", outputMode="image")
    out = stage.transform(_frame(spark, rgb)).orderBy("i").collect()
    expected = model.predict(np.stack([_resized(a) for a in rgb]), verbose=0)
    for row, want in zip(out, expected, strict=True):
        assert row.out.mode == 21 and (row.out.height, row.out.width) == (HEIGHT, WIDTH)
        assert row.out.origin == row.image.origin
        np.testing.assert_allclose(imageStructToArray(row.out)[..., ::-1], want, atol=1e-5)


def test_null_images_error_skip_or_keep(spark):
    model = _cnn(3)
    rgb = _rgb_images()[:2]
    df = _frame(spark, [rgb[0], None, rgb[1]])
    stage = TFImageTransformer(model=model, inputCol="image", outputCol="p")
    with pytest.raises(JOB_ERRORS, match="inputCol column 'image' has a null cell"):
        stage.transform(df).collect()
    assert stage.setHandleInvalid("skip").transform(df).count() == 2
    kept = stage.setHandleInvalid("keep").transform(df).orderBy("i").collect()
    assert [r.p is None for r in kept] == [False, True, False]


def test_schema_errors_name_the_stage_and_column(spark):
    model = _cnn(3)
    df = _frame(spark, _rgb_images()[:1])
    stage = TFImageTransformer(model=model, inputCol="nope", outputCol="p")
    with pytest.raises(IllegalArgumentException, match=r"TFImageTransformer.*'nope'"):
        stage.transform(df)
    with pytest.raises(IllegalArgumentException, match=r"column 'i' has type bigint.*image struct"):
        stage.setInputCol("i").transform(df)
    with pytest.raises(IllegalArgumentException, match="'i', which already exists"):
        stage.setInputCol("image").setOutputCol("i").transform(df)
    with pytest.raises(IllegalArgumentException, match="channelOrder 'L'"):
        stage.setOutputCol("p").setChannelOrder("L").transform(df)


def test_tf_image_transformer_save_load(spark, tmp_path):
    model = _cnn(3)
    df = _frame(spark, _rgb_images()[:3])
    stage = TFImageTransformer(model=model, inputCol="image", outputCol="p", channelOrder="BGR",
                               resizeMethod="bilinear", batchSize=2)
    stage.write().overwrite().save(str(tmp_path / "s"))
    loaded = TFImageTransformer.load(str(tmp_path / "s"))
    assert loaded.getChannelOrder() == "BGR" and loaded.getResizeMethod() == "bilinear"
    a = [r.p for r in stage.transform(df).orderBy("i").collect()]
    b = [r.p for r in loaded.transform(df).orderBy("i").collect()]
    assert a == b


def test_keras_image_file_transformer_with_a_failing_loader(spark, tmp_path):
    model = _cnn(3)
    rgb = [a for a in _rgb_images() if a.shape[:2] == (HEIGHT, WIDTH)] + [_rgb_images(9)[0]]
    uris = []
    for i, a in enumerate(rgb):
        path = tmp_path / f"img{i}.png"
        Image.fromarray(a).save(path)
        uris.append(str(path))
    uris.append(str(tmp_path / "missing.png"))

    def loader(uri: str) -> np.ndarray:
        return np.asarray(Image.open(uri).convert("RGB"), dtype=np.float32) / 255.0

    df = spark.createDataFrame([(u,) for u in uris], ["uri"])
    stage = KerasImageFileTransformer(
        inputCol="uri", outputCol="p", model=model, imageLoader=loader, handleInvalid="keep"
    )
    out = {r.uri: r.p for r in stage.transform(df).collect()}
    assert out[uris[-1]] is None
    expected = model.predict(np.stack([loader(u) for u in uris[:-1]]), verbose=0)
    np.testing.assert_allclose(np.stack([out[u].toArray() for u in uris[:-1]]), expected, atol=1e-5)


def test_keras_image_file_transformer_from_a_model_file(spark, tmp_path):
    model = _cnn(3)
    model.save(tmp_path / "m.keras")
    path = tmp_path / "a.png"
    Image.fromarray(_rgb_images()[0]).save(path)

    def loader(uri: str) -> np.ndarray:
        return np.asarray(Image.open(uri), dtype=np.float32)

    stage = KerasImageFileTransformer(
        inputCol="uri", outputCol="p", modelFile=str(tmp_path / "m.keras"), imageLoader=loader
    )
    row = stage.transform(spark.createDataFrame([(str(path),)], ["uri"])).head()
    expected = model.predict(loader(str(path))[None], verbose=0)[0]
    np.testing.assert_allclose(row.p.toArray(), expected, atol=1e-5)
    assert isinstance(TFModel.from_keras(model), TFModel)


@pytest.mark.parametrize("source", ["model", "modelFile"])
def test_keras_image_file_transformer_refuses_a_loader_of_wrong_sizes(spark, tmp_path, source):
    # A loader whose arrays the model cannot take is a defect, not a bad file: no silent nulls.
    model = _cnn(3)
    model.save(tmp_path / "m.keras")
    given = {"model": model} if source == "model" else {"modelFile": str(tmp_path / "m.keras")}
    df = spark.createDataFrame([("a.png",)], ["uri"])
    for shape in [(HEIGHT + 1, WIDTH, 3), (HEIGHT, WIDTH)]:

        def loader(uri: str, shape=shape) -> np.ndarray:
            return np.zeros(shape, np.float32)

        stage = KerasImageFileTransformer(
            inputCol="uri", outputCol="p", imageLoader=loader, **given
        )
        got = (shape + (1,))[:3]
        with pytest.raises(JOB_ERRORS) as e:
            stage.transform(df).collect()
        assert (
            f"KerasImageFileTransformer {stage.uid}: imageLoader returned an array of shape "
            f"{got} for 'a.png'; the model takes (height, width, channels) ({HEIGHT}, {WIDTH}, 3)"
        ) in str(e.value)


def test_keras_image_udf_in_sql_equals_the_transformer(spark):
    from sparkdl.udf import registerKerasImageUDF

    model = _cnn(3)
    df = _frame(spark, _rgb_images())
    df.createOrReplaceTempView("udf_images")
    registerKerasImageUDF(spark, "cnn_probs", model)
    names = [f.name for f in spark.catalog.listFunctions()]
    assert "cnn_probs" in names
    got = spark.sql("SELECT i, cnn_probs(image) AS p FROM udf_images ORDER BY i").collect()
    stage = TFImageTransformer(model=model, inputCol="image", outputCol="p")
    want = stage.transform(df).orderBy("i").collect()
    np.testing.assert_allclose(
        np.stack([r.p for r in got]), np.stack([r.p.toArray() for r in want]), atol=1e-6
    )


def test_keras_image_udf_refuses_what_is_no_image(spark):
    from sparkdl.udf import registerKerasImageUDF

    registerKerasImageUDF(spark, "cnn_checked", _cnn(3))
    spark.createDataFrame([(1, "a")], "n long, s string").createOrReplaceTempView("no_images")
    for column, found in [("n", "found a Long"), ("s", "found a String")]:
        with pytest.raises(JOB_ERRORS) as e:
            spark.sql(f"SELECT cnn_checked({column}) FROM no_images").collect()
        message = str(e.value)
        assert "SQL function cnn_checked: expected an image struct (struct<" in message, column
        assert found in message, column


def test_keras_image_udf_with_a_python_preprocessor(spark):
    from sparkdl.udf import registerKerasImageUDF

    model = _cnn(3)
    rgb = [a for a in _rgb_images() if a.shape[:2] == (HEIGHT, WIDTH)]
    _frame(spark, rgb).createOrReplaceTempView("pre_images")

    def preprocessor(array: np.ndarray) -> np.ndarray:
        return array.astype(np.float32) / 255.0

    registerKerasImageUDF(spark, "cnn_pre", model, preprocessor)
    got = spark.sql("SELECT cnn_pre(image) AS p FROM pre_images ORDER BY i").collect()
    expected = model.predict(np.stack([preprocessor(a) for a in rgb]), verbose=0)
    np.testing.assert_allclose(np.stack([r.p for r in got]), expected, atol=1e-5)


def test_malformed_images_are_invalid_rows_not_crashes(spark):
    from pyspark.sql import Row

    model = _cnn(3)
    good = imageArrayToStruct(_rgb_images()[1][..., ::-1].copy(), "good")
    bad = {
        "short data": Row(origin="a", height=6, width=5, nChannels=3, mode=16, data=bytearray(10)),
        "2 channels": Row(origin="b", height=6, width=5, nChannels=2, mode=16, data=bytearray(60)),
        "Spark's invalid row": Row(origin="c", height=-1, width=-1, nChannels=-1, mode=-1,
                                   data=bytearray()),
    }
    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("image", columnSchema)])
    stage = TFImageTransformer(model=model, inputCol="image", outputCol="p")
    for what, image in bad.items():
        df = spark.createDataFrame([(0, good), (1, image)], schema)
        with pytest.raises(JOB_ERRORS, match="inputCol column 'image' has an"):
            stage.setHandleInvalid("error").transform(df).collect()
        assert stage.setHandleInvalid("skip").transform(df).count() == 1, what
        kept = stage.setHandleInvalid("keep").transform(df).orderBy("i").collect()
        assert [r.p is None for r in kept] == [False, True], what


def _tf1_graph():
    """sparkdl 1.x's kind of image graph: a float32 [N, H, W, 3] placeholder, a TF1 op on it."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        image = tf.compat.v1.placeholder(tf.float32, [None, HEIGHT, WIDTH, 3], name="image")
        weights = tf.constant(np.arange(3, dtype=np.float32) + 1.0)
        out = tf.reduce_mean(image * weights, axis=[1, 2], name="out")
    return graph, image, out


@pytest.mark.parametrize("by", ["tensors", "names"])
def test_tf_image_transformer_takes_the_original_graph_param(spark, by):
    graph, image, out = _tf1_graph()
    tensors = (image, out) if by == "tensors" else (image.name, out.name)
    stage = TFImageTransformer(
        channelOrder="RGB",
        inputCol="image",
        outputCol="o",
        graph=graph,
        inputTensor=tensors[0],
        outputTensor=tensors[1],
        outputMode="vector",
    )
    rgb = _rgb_images()
    got = np.array(
        [r.o.toArray() for r in stage.transform(_frame(spark, rgb)).orderBy("i").collect()]
    )
    expected = np.stack([(_resized(a) * (np.arange(3) + 1.0)).mean(axis=(0, 1)) for a in rgb])
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_tf_image_transformer_graph_needs_its_output_and_not_a_model_too():
    graph, image, out = _tf1_graph()
    with pytest.raises(ValueError, match="frozen down to outputTensor, which is not set"):
        TFImageTransformer(inputCol="image", outputCol="o", graph=graph)
    with pytest.raises(ValueError, match="pass model or graph"):
        TFImageTransformer(model=_cnn(3), graph=graph, outputTensor=out)
    with pytest.raises(TypeError, match="expected a TFModel, Keras model, Keras file or tf.Graph"):
        TFImageTransformer(model=42)


# ---- issue 21: errors name the user's function, stage and image, and keep the user's exception


def _error_of(run) -> str:
    with pytest.raises(JOB_ERRORS) as e:
        run()
    return str(e.value)


def test_keras_image_udf_preprocessor_exception_names_function_image_and_exception(spark):
    from sparkdl.udf import registerKerasImageUDF

    _frame(spark, _rgb_images()).createOrReplaceTempView("raising_images")

    def preprocessor(array: np.ndarray) -> np.ndarray:
        if array.shape[:2] != (HEIGHT, WIDTH):
            raise ValueError(f"no crop for {array.shape[:2]}")
        return array / 255.0

    registerKerasImageUDF(spark, "cnn_raising", _cnn(3), preprocessor)
    message = _error_of(
        lambda: spark.sql("SELECT cnn_raising(image) FROM raising_images WHERE i = 1").collect()
    )
    assert (
        "SQL function cnn_raising: the preprocessor failed on image 'img1': "
        "ValueError: no crop for (9, 7) (at "
    ) in message
    assert "test_image_stages.py:" in message and ", in preprocessor)" in message
    assert "cnn_raising__" not in message and "null cell" not in message
    # The images it takes still run.
    assert spark.sql("SELECT cnn_raising(image) FROM raising_images WHERE i = 0").count() == 1


@pytest.mark.parametrize(
    "returned, found",
    [
        (lambda a: None, "returned None"),
        (lambda a: np.zeros((HEIGHT + 1, WIDTH, 3), np.float32), "an array of shape (7, 5, 3)"),
        (lambda a: a.reshape(-1), f"an array of shape ({HEIGHT * WIDTH * 3},)"),
        (lambda a: np.zeros((HEIGHT, WIDTH, 2), np.float32), "an array of shape (6, 5, 2)"),
        (lambda a: np.full((HEIGHT, WIDTH, 3), "x"), "an array of dtype <U1"),
        (lambda a: {"image": a}, "a dict"),
    ],
    ids=["None", "wrong size", "flat", "2 channels", "strings", "dict"],
)
def test_keras_image_udf_preprocessor_results_the_model_cannot_take(spark, returned, found):
    from sparkdl.udf import registerKerasImageUDF

    _frame(spark, _rgb_images()[:1]).createOrReplaceTempView("pre_bad_images")
    registerKerasImageUDF(spark, "cnn_bad_pre", _cnn(3), returned)
    message = _error_of(
        lambda: spark.sql("SELECT cnn_bad_pre(image) FROM pre_bad_images").collect()
    )
    assert "SQL function cnn_bad_pre: the preprocessor returned " in message
    assert found in message and "for image 'img0'" in message
    assert f"the model takes (height, width, channels) ({HEIGHT}, {WIDTH}, 3)" in message
    assert "cnn_bad_pre__" not in message and "null cell" not in message


@pytest.mark.parametrize("with_preprocessor", [False, True])
def test_keras_image_udf_on_a_null_image_names_the_users_function(spark, with_preprocessor):
    from sparkdl.udf import registerKerasImageUDF

    _frame(spark, [_rgb_images()[0], None]).createOrReplaceTempView("null_images")
    preprocessor = (lambda a: a / 255.0) if with_preprocessor else None
    registerKerasImageUDF(spark, "cnn_nulls", _cnn(3), preprocessor)
    message = _error_of(lambda: spark.sql("SELECT cnn_nulls(image) FROM null_images").collect())
    assert "SQL function cnn_nulls: argument 1 (model input '" in message
    assert "has a null cell (filter such rows out before the call, e.g. in WHERE)" in message
    assert "cnn_nulls__" not in message
    safe = spark.sql("SELECT cnn_nulls(image) FROM null_images WHERE image IS NOT NULL")
    assert safe.count() == 1


@pytest.mark.parametrize("with_preprocessor", [False, True])
def test_keras_image_udf_on_a_malformed_image_names_function_and_image(spark, with_preprocessor):
    from pyspark.sql import Row
    from sparkdl.udf import registerKerasImageUDF

    bad = Row(origin="file:/short.png", height=HEIGHT, width=WIDTH, nChannels=3, mode=16,
              data=bytearray(10))
    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("image", columnSchema)])
    spark.createDataFrame([(0, bad)], schema).createOrReplaceTempView("malformed_images")
    preprocessor = (lambda a: a / 255.0) if with_preprocessor else None
    registerKerasImageUDF(spark, "cnn_malformed", _cnn(3), preprocessor)
    message = _error_of(
        lambda: spark.sql("SELECT cnn_malformed(image) FROM malformed_images").collect()
    )
    assert "SQL function cnn_malformed: " in message and "cnn_malformed__" not in message
    assert "image 'file:/short.png'" in message
    size = HEIGHT * WIDTH * 3
    if with_preprocessor:  # checked in Python, before the preprocessor sees it
        assert f"should hold {size} bytes of data; it holds 10" in message
    else:
        assert f"{HEIGHT}x{WIDTH}x3 whose data holds 10 bytes; expected {size}" in message


def test_keras_image_udf_with_a_preprocessor_refuses_what_is_no_image(spark):
    from sparkdl.udf import registerKerasImageUDF

    registerKerasImageUDF(spark, "cnn_pre_checked", _cnn(3), lambda a: a / 255.0)
    spark.createDataFrame([(1, "a")], "n long, s string").createOrReplaceTempView("no_images_pre")
    with pytest.raises(Exception) as e:  # noqa: PT011 - analysis or task error, by message
        spark.sql("SELECT cnn_pre_checked(s) FROM no_images_pre").collect()
    message = str(e.value)
    assert "cnn_pre_checked" in message and "cnn_pre_checked__" not in message
    assert "image" in message


def _image_files(tmp_path, shapes) -> list[str]:
    rng = np.random.default_rng(4)
    paths = []
    for i, (h, w) in enumerate(shapes):
        path = tmp_path / f"f{i}.png"
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


def test_keras_image_file_transformer_errors_name_it_not_its_inner_stage(spark, tmp_path):
    # A TFModel taking vectors, not images: the plan's error comes from the stage run inside.
    keras.utils.set_random_seed(1)
    dense = keras.Sequential([keras.Input((4,), name="v"), keras.layers.Dense(2)])
    uris = _image_files(tmp_path, [(HEIGHT, WIDTH)])
    df = spark.createDataFrame([(u,) for u in uris], ["uri"])
    stage = KerasImageFileTransformer(
        inputCol="uri", outputCol="p", model=TFModel.from_keras(dense),
        imageLoader=lambda u: np.asarray(Image.open(u), np.float32),
    )
    with pytest.raises(Exception) as e:  # noqa: PT011 - by message
        stage.transform(df).collect()
    message = str(e.value)
    assert f"KerasImageFileTransformer {stage.uid}: " in message
    assert "KerasTransformer" not in message.replace("KerasImageFileTransformer", "")
    assert "p__image" not in message and "inputCol column 'uri'" in message


def test_keras_image_file_transformer_with_a_tf_model_refuses_a_loader_of_wrong_sizes(
    spark, tmp_path
):
    # The TFModel's input says the size as a Keras model does: no silent null rows.
    uris = _image_files(tmp_path, [(HEIGHT + 2, WIDTH)])
    df = spark.createDataFrame([(u,) for u in uris], ["uri"])
    stage = KerasImageFileTransformer(
        inputCol="uri", outputCol="p", model=TFModel.from_keras(_cnn(3)),
        imageLoader=lambda u: np.asarray(Image.open(u), np.float32),
    )
    message = _error_of(lambda: stage.transform(df).collect())
    assert (
        f"KerasImageFileTransformer {stage.uid}: imageLoader returned an array of shape "
        f"({HEIGHT + 2}, {WIDTH}, 3) for '{uris[0]}'; the model takes (height, width, channels) "
        f"({HEIGHT}, {WIDTH}, 3)"
    ) in message


@pytest.mark.parametrize(
    "returned, found",
    [
        (lambda u: np.zeros(HEIGHT * WIDTH * 3, np.float32), f"shape ({HEIGHT * WIDTH * 3},)"),
        (lambda u: np.zeros((HEIGHT, WIDTH, 2), np.float32), "shape (6, 5, 2)"),
    ],
    ids=["flat", "2 channels"],
)
def test_keras_image_file_transformer_refuses_loader_arrays_of_no_image_shape(
    spark, returned, found
):
    # Arrays no model input takes are the loader's defect, as arrays of the wrong size are.
    stage = KerasImageFileTransformer(inputCol="uri", outputCol="p", model=_cnn(3),
                                      imageLoader=returned)
    df = spark.createDataFrame([("a.png",)], ["uri"])
    message = _error_of(lambda: stage.transform(df).collect())
    assert f"KerasImageFileTransformer {stage.uid}: imageLoader returned an array of" in message
    assert found in message and "for 'a.png'" in message


def test_keras_image_file_transformer_logs_each_file_its_loader_fails_on(spark, tmp_path):
    # Under handleInvalid 'keep' the rows whose loader fails stay null, and each failure is
    # logged by the Python worker, with the stage, the URI and the loader's exception, where
    # Spark collects worker logs.
    uris = [str(tmp_path / f"missing{i}.png") for i in range(2)]
    df = spark.createDataFrame([(u,) for u in uris], ["uri"])

    def loader(path: str) -> np.ndarray:
        return np.asarray(Image.open(path), np.float32)

    stage = KerasImageFileTransformer(inputCol="uri", outputCol="p", model=_cnn(3),
                                      imageLoader=loader, handleInvalid="keep")
    spark.conf.set("spark.sql.pyspark.worker.logging.enabled", "true")
    try:
        assert [r.p for r in stage.transform(df).collect()] == [None, None]
        logs = spark.tvf.python_worker_logs().where("logger = 'sparkdl'").collect()
    finally:
        spark.conf.unset("spark.sql.pyspark.worker.logging.enabled")
    logs = [r.msg for r in logs]
    for uri in uris:
        want = (f"KerasImageFileTransformer {stage.uid}: imageLoader failed on '{uri}' "
                "(FileNotFoundError: ")
        assert any(m.startswith(want) and "kept with a null output" in m for m in logs), logs
