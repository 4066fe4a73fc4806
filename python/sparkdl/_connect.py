"""sparkdl from a Spark Connect client: stages and model functions without py4j.

A transport only: it knows no stage or param types. Stages hand it their Java class, uid and
params already as wire literals (``sparkdl._stage``), ``registerModelUDF`` gets plain data back.

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
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from pyspark.ml.util import MLWriter
from pyspark.sql import SparkSession

from sparkdl._gen import contract
from sparkdl.model import TFModel

WIRE_PREFIX = contract.MODEL_WIRE_PREFIX
COMMAND_PLUGIN = contract.CONNECT_COMMAND_PLUGIN
REGISTER_TYPE_URL = contract.REGISTER_MODEL_UDF_TYPE_URL


def is_connect_session(spark: Any) -> bool:
    """Whether ``spark`` is a Spark Connect session (without importing Connect's client)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def _local_path(path: str, what: str) -> Path:
    parsed = urlparse(path)
    if parsed.scheme not in ("", "file"):
        raise ValueError(
            f"{what} '{path}' is not a local path: a Spark Connect client sends the model's "
            "bytes to the server, so it reads them from its own filesystem (a local path or a "
            "file: URI)"
        )
    local = Path(url2pathname(parsed.path)) if parsed.scheme == "file" else Path(path)
    if not local.exists():
        raise ValueError(
            f"{what} '{path}' does not exist on this client: a Spark Connect client reads the "
            "model's files from its own filesystem, not the server's, and sends their bytes"
        )
    return local


def _saved_model_files(root: Path, path: str) -> list[Path]:
    """The regular files under ``root``, sorted; a symbolic link (or anything that is neither a
    regular file nor a directory) is refused, naming it, as the server refuses one."""
    files = []
    for directory, dirs, names in os.walk(root):  # os.walk does not enter linked directories
        for name in sorted(dirs + names):
            entry = Path(directory) / name
            shown = f"{path.rstrip('/')}/{entry.relative_to(root).as_posix()}"
            if entry.is_symlink():
                what = "a symbolic link"
            elif entry.is_dir() or entry.is_file():
                if entry.is_file():
                    files.append(entry)
                continue
            else:
                what = "neither a regular file nor a directory"
            raise ValueError(
                f"'{shown}' is {what}; sparkdl never follows links in a SavedModel directory "
                "(one could lead outside it): put the file itself in its place"
            )
    return sorted(files)


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
            for f in _saved_model_files(root, path):
                zf.write(f, f.relative_to(root).as_posix())
        header = {"kind": "saved_model", "tags": list(tags), "signature": signature}
        data = packed.getvalue()
    return WIRE_PREFIX + json.dumps(header) + "\n" + base64.b64encode(data).decode("ascii")


def transform(java_class: str, uid: str, wire_values: dict[str, Any], dataset: Any) -> Any:
    """The stage ``java_class`` (uid ``uid``, its set params as ``wire_values``: Spark Connect
    literals, as the stage computes them) transforming ``dataset`` on the Connect server that
    holds it."""
    from pyspark.ml.connect.proto import TransformerRelation
    from pyspark.ml.connect.serialize import serialize_ml_params_values
    from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame

    session = dataset.sparkSession
    plan = TransformerRelation(
        child=dataset._plan,
        name=java_class,
        ml_params=serialize_ml_params_values(wire_values, session.client),
        uid=uid,
        is_model=False,
    )
    return ConnectDataFrame(plan=plan, session=session)


def is_remote() -> bool:
    """Whether a Spark Connect session is active in this Python (as PySpark's own ML checks)."""
    from pyspark.sql.utils import is_remote as pyspark_is_remote

    return pyspark_is_remote()


class StageWriter(MLWriter):
    """``stage.write()`` through Spark Connect: Spark's ``MlCommand.Write`` of the stage's Java
    class with its params as the server's params decode them (maps as JSON, ``model`` in the wire
    format). The server sets them and runs the stage's own writer, so the stage is saved as a
    classic session saves it, at ``path`` on the server's filesystem (model archives checked
    entry by entry there: io.sparkdl.model.ArchiveEntries)."""

    def __init__(self, java_class: str, uid: str, wire_values: dict[str, Any], who: str) -> None:
        super().__init__()
        self._java_class, self._uid, self._values, self._who = java_class, uid, wire_values, who

    def save(self, path: str) -> None:
        import pyspark.sql.connect.proto as pb2
        from pyspark.ml.connect.serialize import serialize_ml_params_values
        from pyspark.sql.connect.session import SparkSession as ConnectSession

        session = ConnectSession.getActiveSession()
        if session is None:
            raise RuntimeError(f"{self._who}: no active Spark Connect session")
        command = pb2.Command()
        command.ml_command.write.CopyFrom(
            pb2.MlCommand.Write(
                operator=pb2.MlOperator(
                    name=self._java_class,
                    uid=self._uid,
                    type=pb2.MlOperator.OPERATOR_TYPE_TRANSFORMER,
                ),
                params=serialize_ml_params_values(self._values, session.client),
                path=path,
                should_overwrite=self.shouldOverwrite,
                options=self.optionMap,
            )
        )
        session.client.execute_command(command)


def register_model_udf(
    spark: SparkSession,
    name: str,
    model: TFModel,
    inputs: Sequence[str] | None,
    outputs: Sequence[str] | None,
    batch_size: int,
) -> tuple[str, list[str], list[str]]:
    """``registerModelUDF`` for a Connect session: the server's ``ModelUDFCommand`` registers
    the function and answers with its name, inputs and outputs."""
    import pyspark.sql.connect.proto as pb2
    from pyspark.ml.connect.serialize import serialize_ml_params_values
    from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame
    from pyspark.sql.connect.plan import CachedRelation

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
        if REGISTER_TYPE_URL.rsplit("/", 1)[1] in str(e) and "handler" in str(e).lower():
            raise RuntimeError(missing) from e
        raise
    if "sql_command_result" not in properties:
        raise RuntimeError(missing)
    relation = CachedRelation(properties["sql_command_result"])
    described = json.loads(ConnectDataFrame(relation, spark).collect()[0][0])
    return described["name"], list(described["inputs"]), list(described["outputs"])
