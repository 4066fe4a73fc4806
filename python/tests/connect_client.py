"""The Spark Connect side of test_connect.py, run in a Python that has PySpark's Connect client
and sparkdl but no JVM (and no TensorFlow): ``connect_client.py <url> <dir>``.

Reads ``x.npy``, ``keras_model/`` (a SavedModel) and ``graph.pb`` from ``dir``, runs sparkdl's
stages and a model SQL function on the server at ``url``, and writes ``connect.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from pyspark.sql import SparkSession
from sparkdl.image import PIL_decode, readImages, readImagesWithCustomFn
from sparkdl.ml import KerasTransformer, TFEstimator, TFTransformer
from sparkdl.model import TFModel
from sparkdl.udf import registerKerasImageUDF, registerModelUDF


def main(url: str, work: Path) -> None:
    spark = SparkSession.builder.remote(url).getOrCreate()
    assert type(spark).__module__.startswith("pyspark.sql.connect"), type(spark)
    x = np.load(work / "x.npy")
    df = spark.createDataFrame(
        [(i, [float(v) for v in row]) for i, row in enumerate(x)], ["i", "x"]
    )
    saved = TFModel.from_saved_model(str(work / "keras_model"))

    def column(frame, name):
        return [row[name] for row in frame.orderBy("i").collect()]

    tf_saved = TFTransformer(model=saved, inputMapping={"x": "x"}, outputMapping={"output_0": "y"})
    tf_frozen = TFTransformer(
        model=TFModel.from_graph_def_file(str(work / "graph.pb")),
        inputMapping={"x": "x"},
        outputMapping={"out:0": "y"},
        batchSize=7,
    )
    keras = KerasTransformer(model=saved, inputCol="x", outputCol="y", outputMode="vector")
    udf = registerModelUDF(spark, "keras_mlp", saved, batch_size=5)
    df.createOrReplaceTempView("features")
    sql = spark.sql("SELECT i, keras_mlp(x) AS y FROM features")
    results = {
        "tf_saved": column(tf_saved.transform(df), "y"),
        "tf_frozen": column(tf_frozen.transform(df), "y"),
        "keras": [v.toArray().tolist() for v in column(keras.transform(df), "y")],
        "sql": column(sql, "y"),
        "dataframe_api": column(df.select("i", udf("x").alias("y")), "y"),
        "udf": {"name": udf.name, "inputs": udf.inputs, "outputs": udf.outputs},
    }
    try:  # the stage's own error reaches the client
        TFTransformer(
            model=saved, inputMapping={"nope": "x"}, outputMapping={"output_0": "y"}
        ).transform(df).collect()
        results["bad_column_error"] = None
    except Exception as e:
        results["bad_column_error"] = str(e)
    try:
        TFEstimator(model=saved, inputMapping={"x": "x"}, labelCol="i").fit(df)
        results["fit_error"] = None
    except NotImplementedError as e:
        results["fit_error"] = str(e)
    for name, read in [
        ("read_images_error", lambda: readImages(str(work))),
        ("custom_fn_error", lambda: readImagesWithCustomFn(str(work), PIL_decode)),
    ]:
        try:
            read()
            results[name] = None
        except NotImplementedError as e:
            results[name] = str(e)
    try:
        registerKerasImageUDF(spark, "image_model", saved)
        results["image_udf_error"] = None
    except NotImplementedError as e:
        results["image_udf_error"] = str(e)
    (work / "connect.json").write_text(json.dumps(results))
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
