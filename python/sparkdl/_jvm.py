"""Python's one way to sparkdl's JVM classes (its ``io.sparkdl.python`` facades and stages).

A session started without sparkdl's jars (``SparkSession.builder.getOrCreate()``, the ``pyspark``
shell) resolves ``io.sparkdl.X`` to a py4j ``JavaPackage``, and calling it fails far from the
cause with ``TypeError: 'JavaPackage' object is not callable``. Every access goes through
:func:`sparkdl_class`, which says what is missing and how to start Spark with it instead.
"""

from __future__ import annotations

from typing import Any

# A class of sparkdl's core jar: present in every sparkdl jar of any version.
_CORE_CLASS = "io.sparkdl.jni.NativeLibrary"


def _resolve(sc: Any, name: str) -> Any:
    found = sc._jvm
    for part in name.split("."):
        found = getattr(found, part)
    return found


def sparkdl_class(spark: Any, name: str) -> Any:
    """The JVM class ``name`` (``io.sparkdl.python.PythonModels``) of ``spark``'s JVM.

    Parameters
    ----------
    spark
        A SparkSession or SparkContext; None for no session (an error then says so).
    name
        The class's full name.

    Returns
    -------
    py4j.java_gateway.JavaClass
        The class: call it to construct, or call its static methods.

    Raises
    ------
    RuntimeError
        No SparkSession, or its classpath lacks sparkdl's jars, or holds an older sparkdl jar
        without this class: the message says which and how to fix it.
    """
    from py4j.java_gateway import JavaClass  # here: Spark Connect's client package has no py4j

    if spark is None:
        raise RuntimeError("no active SparkSession: call sparkdl.session() first")
    sc = getattr(spark, "sparkContext", spark)
    found = _resolve(sc, name)
    if isinstance(found, JavaClass):
        return found
    if name != _CORE_CLASS and isinstance(_resolve(sc, _CORE_CLASS), JavaClass):
        raise RuntimeError(
            f"sparkdl's JVM side has no {name}: the sparkdl jar of this SparkSession is older "
            "than this Python package (rebuild it with `build/sbt core/pythonJars`, or start "
            "Spark with sparkdl.session(), whose jars match)"
        )
    raise RuntimeError(
        f"this SparkSession has no sparkdl on its classpath (no JVM class {name}): it was "
        "started without sparkdl's jars, e.g. by SparkSession.builder.getOrCreate() or the "
        "pyspark shell before sparkdl.session() was called. Stop it and start Spark with "
        "sparkdl.session(), or build your session with "
        '.config("spark.jars", ",".join(sparkdl.bundled_jars())) '
        "(docs/guide/troubleshooting.md, 'Classes not found')"
    )


def facade(spark: Any, name: str) -> Any:
    """The facade ``io.sparkdl.python.<name>`` of ``spark``'s JVM (see :func:`sparkdl_class`)."""
    return sparkdl_class(spark, f"io.sparkdl.python.{name}")
