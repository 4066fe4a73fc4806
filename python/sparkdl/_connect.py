"""sparkdl from a Spark Connect client: stages and model functions without py4j.

A Connect client holds no JVM, so what the py4j paths hand to the JVM as objects crosses as
strings the server decodes (docs/connect.md):

- a stage's ``transform`` sends Spark's ``TransformerRelation`` with the stage's Java class and
  its set params as literals; map params as JSON objects and ``model`` in sparkdl's model wire
  format (``io.sparkdl.model.ModelWireFormat``), which the server's params decode when set;
- ``registerModelUDF`` sends a command that ``io.sparkdl.connect.ModelUDFCommand`` runs on the
  server (``spark.connect.extensions.command.classes``).

The server needs sparkdl's jars and that plugin: :func:`sparkdl.session.connect_server_conf`
lists the settings.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from pyspark.sql import SparkSession

from sparkdl.model import TFModel

if TYPE_CHECKING:
    from sparkdl.udf import ModelUDF

WIRE_PREFIX = "sparkdl-model/1 "
COMMAND_PLUGIN = "io.sparkdl.connect.ModelUDFCommand"
REGISTER_TYPE_URL = "type.googleapis.com/sparkdl.RegisterModelUDF"


def is_connect_session(spark: Any) -> bool:
    """Whether ``spark`` is a Spark Connect session (without importing Connect's client)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def _local_path(path: str, what: str) -> Path:
    parsed = urlparse(path)
    local = Path(url2pathname(parsed.path)) if parsed.scheme == "file" else Path(path)
    if parsed.scheme not in ("", "file") or not local.exists():
        raise ValueError(
            f"{what} '{path}' is not a local path: a Spark Connect client sends the model's "
            "bytes to the server, so it reads them from its own filesystem"
        )
    return local


def encode_model(model: TFModel) -> str:
    """``model`` in sparkdl's model wire format: a header line, then its bytes in base64."""
    source = getattr(model, "_source", None)
    if source is None:
        raise ValueError(
            f"{model!r} was not built by a TFModel.from_* method, so its bytes are unknown to "
            "this client and it cannot be sent over Spark Connect"
        )
    kind = source[0]
    if kind == "frozen_graph":
        header: dict[str, Any] = {"kind": "frozen_graph"}
        data = source[1]
    elif kind == "frozen_graph_file":
        header = {"kind": "frozen_graph"}
        data = _local_path(source[1], "GraphDef file").read_bytes()
    else:  # a SavedModel directory, packed as io.sparkdl.model.SavedModelArchive packs one
        _, path, tags, signature = source
        root = _local_path(path, "SavedModel directory")
        if not (root / "saved_model.pb").is_file():
            raise ValueError(f"'{path}' is not a SavedModel directory: it has no saved_model.pb")
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(p for p in root.rglob("*") if p.is_file()):
                zf.write(f, f.relative_to(root).as_posix())
        header = {"kind": "saved_model", "tags": list(tags), "signature": signature}
        data = packed.getvalue()
    return WIRE_PREFIX + json.dumps(header) + "\n" + base64.b64encode(data).decode("ascii")


def _wire_value(stage: Any, param: Any, value: Any) -> Any:
    from sparkdl._stage import to_string_map, to_tf_model

    if param.typeConverter is to_string_map:
        return json.dumps(value, sort_keys=True)
    if param.typeConverter is to_tf_model:
        try:
            return encode_model(value)
        except ValueError as e:
            raise ValueError(f"{type(stage).__name__} {stage.uid}: param model: {e}") from None
    return value


def transform(stage: Any, dataset: Any) -> Any:
    """``stage.transform(dataset)`` on the Connect server that holds ``dataset``."""
    from pyspark.ml.connect.proto import TransformerRelation
    from pyspark.ml.connect.serialize import serialize_ml_params_values
    from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame

    session = dataset.sparkSession
    values = {p.name: _wire_value(stage, p, v) for p, v in stage._paramMap.items()}
    plan = TransformerRelation(
        child=dataset._plan,
        name=stage._java_class,
        ml_params=serialize_ml_params_values(values, session.client),
        uid=stage.uid,
        is_model=False,
    )
    return ConnectDataFrame(plan=plan, session=session)


def register_model_udf(
    spark: SparkSession,
    name: str,
    model: TFModel,
    inputs: Sequence[str] | None,
    outputs: Sequence[str] | None,
    batch_size: int,
) -> ModelUDF:
    """``registerModelUDF`` for a Connect session: the server's ``ModelUDFCommand`` registers
    the function and answers with its inputs and outputs."""
    import pyspark.sql.connect.proto as pb2
    from pyspark.ml.connect.serialize import serialize_ml_params_values
    from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame
    from pyspark.sql.connect.plan import CachedRelation

    from sparkdl.udf import ModelUDF

    values = {
        "name": name,
        "model": encode_model(model),
        "inputs": json.dumps(list(inputs or [])),
        "outputs": json.dumps(list(outputs or [])),
        "batchSize": batch_size,
    }
    client = spark.client  # type: ignore[attr-defined]
    command = pb2.Command()
    command.extension.type_url = REGISTER_TYPE_URL
    command.extension.value = serialize_ml_params_values(values, client).SerializeToString()
    missing = (
        f"registerModelUDF('{name}'): the Spark Connect server does not run sparkdl's command; "
        f"start it with --conf spark.connect.extensions.command.classes={COMMAND_PLUGIN} "
        "(connect_server_conf() in sparkdl.session lists its settings)"
    )
    try:
        _, properties, _ = client.execute_command(command)
    except Exception as e:  # the server's InvalidPlanInput, as the client raises it
        if "sparkdl.RegisterModelUDF" in str(e) and "handler" in str(e).lower():
            raise RuntimeError(missing) from e
        raise
    if "sql_command_result" not in properties:
        raise RuntimeError(missing)
    relation = CachedRelation(properties["sql_command_result"])
    described = json.loads(ConnectDataFrame(relation, spark).collect()[0][0])
    return ModelUDF(described["name"], described["inputs"], described["outputs"])
