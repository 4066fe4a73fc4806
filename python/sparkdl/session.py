"""A SparkSession with sparkdl's engine (and the TensorFlow runtime) on the JVM's classpath."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from pyspark.sql import SparkSession

from sparkdl._jvm import sparkdl_class

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


def session(master: str | None = None, app_name: str | None = None, **conf: str) -> SparkSession:
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
        The session. An already running session is returned as is (only its runtime SQL settings
        change), with a warning naming the ``master``, ``app_name`` and settings asked for that it
        does not have: call this before anything else creates one.

    Notes
    -----
    In local mode, Python workers (``readImagesWithCustomFn``, ``KerasImageFileTransformer``'s
    image loader, UDFs) run this very interpreter, unless ``PYSPARK_PYTHON`` or
    ``spark.pyspark.python`` chose one: PySpark would otherwise run ``python3`` from ``PATH``,
    which may lack numpy and sparkdl. On a cluster, set ``PYSPARK_PYTHON`` to a Python of the
    executors' hosts that has them (docs/guide/getting-started.md).
    """
    from pyspark import SparkContext  # here: Spark Connect's client package has none

    running = SparkContext._active_spark_context is not None
    asked = dict(conf)
    master_url = master or "local[*]"
    builder = SparkSession.builder.master(master_url).appName(app_name or "sparkdl")
    packages = conf.get("spark.jars.packages", "")
    if _launched_by_spark_submit():
        # spark-submit started the JVM with its --jars/--packages (e.g. sparkdl's assembly jar):
        # the classpath is fixed, the session takes its master from spark-submit.
        builder = SparkSession.builder.appName(app_name or "sparkdl")
    else:
        if not running and master_url.startswith("local"):
            _use_this_python_in_workers(conf.get("spark.pyspark.python"))
        if "io.sparkdl:" not in packages:
            jars = bundled_jars()
            if not jars:
                raise RuntimeError(
                    f"sparkdl's jars are not in {_JARS_DIR}: build them with "
                    f"`build/sbt core/pythonJars`, point ${JARS_ENV} at sparkdl's jar and its "
                    "TensorFlow runtime jars, or pass "
                    "spark.jars.packages='io.sparkdl:sparkdl_2.13:<version>'."
                )
            if master_url.startswith("local"):
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
    if running:
        _warn_kept_settings(spark, master, app_name, asked)
    return spark


def _use_this_python_in_workers(configured: str | None) -> None:
    # PySpark's SparkContext takes its workers' Python from PYSPARK_PYTHON alone (else `python3`
    # from PATH, often not the virtualenv's): set it before the context exists.
    python = configured or sys.executable  # empty in an embedded interpreter: leave it be
    if python and not os.environ.get("PYSPARK_PYTHON"):
        os.environ["PYSPARK_PYTHON"] = python


def _warn_kept_settings(
    spark: SparkSession, master: str | None, app_name: str | None, asked: dict[str, str]
) -> None:
    """A running session keeps its master, name and JVM settings: say which asked ones differ."""
    sc = spark.sparkContext
    differ = []
    if master is not None and sc.master != master:
        differ.append(f"master {sc.master!r} (asked {master!r})")
    if app_name is not None and sc.appName != app_name:
        differ.append(f"app_name {sc.appName!r} (asked {app_name!r})")
    kept = sc.getConf()
    for key, value in asked.items():
        if spark.conf.isModifiable(key):  # a runtime SQL setting: getOrCreate applied it
            continue
        current = kept.get(key, None)
        merged = key in ("spark.driver.extraClassPath", "spark.jars")  # sparkdl's jars added
        if current is None or (str(value) not in current if merged else current != str(value)):
            differ.append(f"{key} {current!r} (asked {value!r})")
    if differ:
        warnings.warn(
            "sparkdl.session(): a SparkSession is already running and keeps its settings: "
            + ", ".join(differ)
            + ". Stop it first (spark.stop()) to start one with these settings.",
            stacklevel=3,
        )


def _launched_by_spark_submit() -> bool:
    # PySpark's launcher hands a Python app the port of the JVM that spark-submit started.
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _check_engine(spark: SparkSession) -> None:
    sparkdl_class(spark, "io.sparkdl.jni.NativeLibrary")  # raises, saying how to add the jars
