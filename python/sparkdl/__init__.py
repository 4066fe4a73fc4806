"""sparkdl: Deep Learning Pipelines for Apache Spark.

Run TensorFlow graphs and SavedModels over Spark DataFrames, in Spark's executors, through
sparkdl's JVM engine. Start with :func:`sparkdl.session`.
"""

from sparkdl.session import bundled_jars, session

__version__ = "0.1.0.dev0"

__all__ = ["__version__", "bundled_jars", "session"]
