"""The Spark Connect side of test_connect.py, run in a Python that has PySpark's Connect client
and sparkdl but no JVM (and no TensorFlow): ``connect_client.py <url> <dir>``.

Reads ``x.npy``, ``keras_model/`` (a SavedModel) and ``graph.pb`` from ``dir``, runs sparkdl's
stages and a model SQL function on the server at ``url``, and writes ``connect.json``.
"""

from __future__ import annotations

import base64
import io
import json
import sys
import zipfile
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
    results.update(_saving(spark, work, saved))
    try:  # a path that does not exist on the client
        TFTransformer(
            model=TFModel.from_saved_model(str(work / "no_such_model")), inputMapping={"x": "x"}
        ).transform(df)
        results["missing_path_error"] = None
    except ValueError as e:
        results["missing_path_error"] = str(e)
    (work / "connect.json").write_text(json.dumps(results))
    spark.stop()


def _saving(spark: SparkSession, work: Path, saved: TFModel) -> dict:
    """Stages saved through Connect (by the server, at paths on its filesystem), and a hostile
    client's MlCommand.Write whose model archive has an entry leading out of the save path."""
    import pyspark.sql.connect.proto as pb2
    from pyspark.ml.connect.serialize import serialize_ml_params_values

    out: dict = {}
    stage = TFTransformer(model=saved, inputMapping={"x": "x"}, outputMapping={"output_0": "y"})
    stage.write().save(str(work / "saved_stage"))
    stage.setBatchSize(3).write().overwrite().save(str(work / "saved_stage"))
    out["saved_uid"] = stage.uid
    try:
        stage.write().save(str(work / "saved_stage"))
        out["save_twice_error"] = None
    except Exception as e:
        out["save_twice_error"] = str(e)
    try:
        TFTransformer.load(str(work / "saved_stage"))
        out["load_error"] = None
    except NotImplementedError as e:
        out["load_error"] = str(e)
    try:
        TFEstimator(model=saved, inputMapping={"x": "x"}, labelCol="i").write().save(
            str(work / "estimator")
        )
        out["estimator_save_error"] = None
    except NotImplementedError as e:
        out["estimator_save_error"] = str(e)

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as zf:
        root = work / "keras_model"
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            zf.write(f, f.relative_to(root).as_posix())
        zf.writestr("../../../ESCAPED.txt", "escaped")
    header = {"kind": "saved_model", "tags": ["serve"], "signature": None}
    payload = base64.b64encode(packed.getvalue()).decode()
    wire = "sparkdl-model/1 " + json.dumps(header) + "\n" + payload
    command = pb2.Command()
    command.ml_command.write.CopyFrom(
        pb2.MlCommand.Write(
            operator=pb2.MlOperator(
                name="io.sparkdl.ml.TFTransformer",
                uid="hostile",
                type=pb2.MlOperator.OPERATOR_TYPE_TRANSFORMER,
            ),
            params=serialize_ml_params_values({"model": wire}, spark.client),
            path=str(work / "hostile" / "stage"),
        )
    )
    # <work>/hostile/stage/model/saved_model/../../../ESCAPED.txt is <work>/hostile/ESCAPED.txt
    try:
        spark.client.execute_command(command)
        out["zip_slip_error"] = None
    except Exception as e:
        out["zip_slip_error"] = str(e)
    return out


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
