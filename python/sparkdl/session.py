"""A SparkSession with sparkdl's engine (and the TensorFlow runtime) on the JVM's classpath."""

from __future__ import annotations

import os
from pathlib import Path

from pyspark.sql import SparkSession

JARS_ENV = "SPARKDL_JARS"
_JARS_DIR = Path(__file__).parent / "jars"


def bundled_jars() -> list[str]:
    """The jars sparkdl runs with: ``$SPARKDL_JARS`` (comma-separated) or those in the package.

    Returns
    -------
    list of str
        Absolute paths: sparkdl's jar and the TensorFlow runtime jars.
    """
    configured = os.environ.get(JARS_ENV, "").strip()
    if configured:
        return [str(Path(p).resolve()) for p in configured.split(",") if p.strip()]
    return sorted(str(p) for p in _JARS_DIR.glob("*.jar"))


def connect_server_conf(jars: list[str] | None = None) -> dict[str, str]:
    """The Spark settings a Spark Connect server needs to run sparkdl for its clients.

    Parameters
    ----------
    jars
        sparkdl's jar and its TensorFlow runtime jars. Default: :func:`bundled_jars`.

    Returns
    -------
    dict of str to str
        ``spark.jars``, and the command plugin behind ``registerModelUDF``
        (``spark.connect.extensions.command.classes``): pass each as ``--conf key=value`` to
        ``start-connect-server.sh`` or ``spark-submit`` (docs/connect.md).
    """
    from sparkdl._connect import COMMAND_PLUGIN

    return {
        "spark.jars": ",".join(jars if jars is not None else bundled_jars()),
        "spark.connect.extensions.command.classes": COMMAND_PLUGIN,
    }


def session(master: str = "local[*]", app_name: str = "sparkdl", **conf: str) -> SparkSession:
    """Get or create a SparkSession that can run sparkdl.

    Parameters
    ----------
    master
        Spark master URL. Default: ``local[*]``.
    app_name
        Application name. Default: ``"sparkdl"``.
    **conf
        Further Spark settings, e.g. ``**{"spark.driver.memory": "4g"}``. When
        ``spark.jars.packages`` names ``io.sparkdl:sparkdl_2.13:<version>``, Spark resolves sparkdl
        and TensorFlow from Maven instead of the jars bundled with this package (the way to go
        on a cluster whose nodes can reach a Maven repository).

    Returns
    -------
    SparkSession
        The session. An already running session is returned as is, so call this before anything
        else creates one.
    """
    builder = SparkSession.builder.master(master).appName(app_name)
    packages = conf.get("spark.jars.packages", "")
    if _launched_by_spark_submit():
        # spark-submit started the JVM with its --jars/--packages (e.g. sparkdl's assembly jar):
        # the classpath is fixed, the session takes its master from spark-submit.
        builder = SparkSession.builder.appName(app_name)
    elif "io.sparkdl:" not in packages:
        jars = bundled_jars()
        if not jars:
            raise RuntimeError(
                f"sparkdl's jars are not in {_JARS_DIR}: build them with "
                f"`build/sbt core/pythonJars`, point ${JARS_ENV} at sparkdl's jar and its "
                "TensorFlow runtime jars, or pass "
                "spark.jars.packages='io.sparkdl:sparkdl_2.13:<version>'."
            )
        if master.startswith("local"):
            # One JVM: the classpath serves driver and executors without copying jars per app.
            key = "spark.driver.extraClassPath"
            extra = conf.pop(key, "")
            builder = builder.config(key, os.pathsep.join([*jars, *filter(None, [extra])]))
        else:
            extra = conf.pop("spark.jars", "")
            builder = builder.config("spark.jars", ",".join([*jars, *filter(None, [extra])]))
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    _check_engine(spark)
    return spark


def _launched_by_spark_submit() -> bool:
    # PySpark's launcher hands a Python app the port of the JVM that spark-submit started.
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _check_engine(spark: SparkSession) -> None:
    jvm = spark.sparkContext._jvm
    try:
        jvm.java.lang.Thread.currentThread().getContextClassLoader().loadClass(
            "io.sparkdl.jni.NativeLibrary"
        )
    except Exception as e:  # py4j wraps ClassNotFoundException
        raise RuntimeError(
            "this SparkSession has no sparkdl on its classpath; it was probably created before "
            "sparkdl.session() was called. Stop it, or start Spark with sparkdl's jars."
        ) from e
