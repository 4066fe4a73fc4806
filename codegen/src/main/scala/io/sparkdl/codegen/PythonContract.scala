package io.sparkdl.codegen

import io.sparkdl.codegen.PythonWrappers.{pyLiteral, pyString}
import io.sparkdl.image.ImageFormat
import io.sparkdl.connect.ModelUDFCommandNames
import io.sparkdl.ml.NamedImageModels
import io.sparkdl.ml.param.OutputMode
import io.sparkdl.model.{ModelWireFormat, ShapeMetadata}
import io.sparkdl.runtime.TrainingSignatures
import io.sparkdl.sql.ModelUDF
import io.sparkdl.tf.SavedModel
import io.sparkdl.tensorframes.TensorFrames

/**
 * Writes `python/sparkdl/_gen/contract.py`: the constants and rules sparkdl's Python side needs
 * and whose source of truth is Scala (TensorFrames' block sizes, the shape metadata key, the model
 * store's keys, default root and home rule, the named-model catalog's names, input sizes and
 * keys, the output modes, model functions' batch size, the Spark Connect wire names, a trainable
 * model's signature names and keys, the image struct's OpenCV modes, and the param kinds each
 * param type crosses the language boundary as), so that Python imports them instead of writing
 * them a second time. The Python test
 * `test_contract.py` checks the module against the running JVM.
 */
object PythonContract {
  val FileName = "contract.py"

  def render(): String = {
    def tuple(name: String, values: Seq[String]): String =
      values.map(v => s"    ${pyString(v)},\n").mkString(s"$name = (\n", "", ")\n")
    val m = NamedImageModels
    Header +
      "\"\"\"Constants and rules sparkdl's Python side shares with its Scala side, generated from\n" +
      "the Scala values (io.sparkdl.codegen.PythonContract).\"\"\"\n\n" +
      "from __future__ import annotations\n\nimport os\n\n" +
      "# TensorFrames (io.sparkdl.tensorframes.TensorFrames, io.sparkdl.model.ShapeMetadata)\n" +
      constant("DEFAULT_BLOCK_SIZE", TensorFrames.DefaultBlockSize) +
      constant("MAX_BLOCK_SIZE", Int.MaxValue) +
      constant("SHAPE_METADATA_KEY", ShapeMetadata.Key) +
      "\n# SavedModels' defaults (io.sparkdl.tf.SavedModel)\n" +
      constant("SAVED_MODEL_SIGNATURE", SavedModel.DefaultSignature) +
      constant("SAVED_MODEL_TAG", SavedModel.ServeTag) +
      "\n# The model store and its named models (io.sparkdl.ml.NamedImageModels)\n" +
      constant("MODEL_STORE_CONF", m.StoreConf) +
      constant("MODEL_STORE_ENV", m.StoreEnv) +
      constant("MODEL_STORE_DEFAULT_ROOT", m.DefaultStoreRoot) +
      tuple("MODEL_NAMES", m.Names) +
      tuple("MODEL_JSON_FIELDS", m.ModelJsonFields) +
      constant("MODEL_JSON_FLATTENED_DIM", m.FlattenedDimField) +
      constant("MODEL_INPUT_KEY", m.InputKey) +
      constant("MODEL_FEATURES_KEY", m.FeaturesKey) +
      constant("MODEL_PREDICTIONS_KEY", m.PredictionsKey) +
      constant("MODEL_FLATTENED_KEY", m.FlattenedKey) +
      mapping("MODEL_INPUT_SIZES", m.Names.map(n => n -> m.InputSizes(n))) +
      "\n# Output modes of the model stages (io.sparkdl.ml.param.OutputMode)\n" +
      constant("OUTPUT_MODE_ARRAY", OutputMode.Array) +
      constant("OUTPUT_MODE_VECTOR", OutputMode.Vector) +
      "\n# Model functions (io.sparkdl.sql.ModelUDF) and Spark Connect\n" +
      "# (io.sparkdl.model.ModelWireFormat, io.sparkdl.connect.ModelUDFCommandNames)\n" +
      constant("MODEL_UDF_BATCH_SIZE", ModelUDF.DefaultBatchSize) +
      constant("MODEL_WIRE_PREFIX", ModelWireFormat.Prefix) +
      constant("CONNECT_COMMAND_PLUGIN", ModelUDFCommandNames.PluginClass) +
      constant("REGISTER_MODEL_UDF_TYPE_URL", ModelUDFCommandNames.TypeUrl) +
      "\n# A trainable SavedModel's signatures and keys (io.sparkdl.runtime.TrainingSignatures)\n" +
      trainingSignatures +
      "\n# How param values cross to the JVM, by kind\n" +
      "# (io.sparkdl.codegen.PythonWrappers.ParamKind): py4j in a classic session, and the\n" +
      "# Spark Connect literal. sparkdl._param_types implements each kind; each generated\n" +
      "# stage base's _param_kinds names its params' kinds.\n" +
      paramKinds +
      "\n# The image struct's OpenCV modes (io.sparkdl.image.ImageFormat): name, mode, channels, dtype\n" +
      ocvTypes +
      "\n\n" + expandHome(m)
  }

  private def mapping(name: String, values: Seq[(String, Any)]): String = values.map {
    case (k, v) => s"    ${pyString(k)}: ${pyLiteral(v, name)},\n"
  }.mkString(s"$name = {\n", "", "}\n")

  private def trainingSignatures: String = {
    val t = TrainingSignatures
    Seq(
      "SIGNATURE_SERVE" -> t.Serve, "SIGNATURE_TRAIN_STEP" -> t.TrainStep,
      "SIGNATURE_EVALUATE" -> t.Evaluate, "SIGNATURE_TRAIN_STEP_ALLREDUCE" -> t.TrainStepAllReduce,
      "SIGNATURE_ALLREDUCE_SUM" -> t.AllReduceSum, "KEY_FEATURES" -> t.Features,
      "KEY_LABEL" -> t.Label, "KEY_LEARNING_RATE" -> t.LearningRate,
      "KEY_GROUP_SIZE" -> t.GroupSize, "KEY_GROUP_KEY" -> t.GroupKey,
      "KEY_INSTANCE_KEY" -> t.InstanceKey, "KEY_VALUES" -> t.Values,
      "KEY_SUM" -> t.Sum, "KEY_SERVE_OUTPUT" -> t.ServeOutput, "KEY_LOSS" -> t.Loss,
      "VALIDATION_PREFIX" -> t.ValidationPrefix
    ).map { case (name, value) => constant(name, value) }.mkString +
      s"GROUP_INPUTS = (${t.GroupInputs.map(pyString).mkString(", ")})\n"
  }

  private def paramKinds: String = {
    val kinds = PythonWrappers.ParamKind.All.map { k =>
      Seq(k.py4j, k.wire).map(d => s"        ${pyString(d)},\n")
        .mkString(s"    ${pyString(k.name)}: (\n", "", "    ),\n")
    }.mkString("PARAM_KINDS = {  # kind: (across py4j, as a Spark Connect literal)\n", "", "}\n")
    val string = classOf[org.apache.spark.ml.param.Param[_]] -> PythonWrappers.PyString
    val types = (PythonWrappers.ParamTypes :+ string).map { case (cls, tpe) =>
      s"    ${pyString(cls.getName)}: (${pyString(tpe.kind.name)}, ${pyString(tpe.converter)}),\n"
    }.mkString("PARAM_TYPES = {  # Scala param class: (kind, Python type converter)\n", "", "}\n")
    kinds + types
  }

  private def constant(name: String, value: Any): String = s"$name = ${pyLiteral(value, name)}\n"

  private def ocvTypes: String = ImageFormat.modeNames.toSeq.sortBy(_._1).map { case (mode, name) =>
    val dtype = if (ImageFormat.isFloatMode(mode)) "float32" else "uint8"
    s"    (${pyString(name)}, $mode, ${ImageFormat.channelsOf(mode)}, ${pyString(dtype)}),\n"
  }.mkString("OCV_TYPES = (\n", "", ")\n")

  // NamedImageModels.expandHome in Python; the test runs both on the same paths.
  private def expandHome(m: NamedImageModels.type): String = {
    val probe = "/HOME"
    require(m.expandHome("~", probe) == probe && m.expandHome("~/a", probe) == s"$probe/a" &&
      m.expandHome("~a/b", probe) == "~a/b" && m.expandHome("a/~/b", probe) == "a/~/b",
      "NamedImageModels.expandHome changed its rule: change the Python rendering of it here too")
    """# `~` alone or before `/` is the user's home; nothing else (`~user`, `$HOME`) is expanded:
      |# the store root's rule on the JVM.
      |def expand_home(path: str) -> str:
      |    if path == "~" or path.startswith("~/"):
      |        return os.path.expanduser("~") + path[1:]
      |    return path
      |""".stripMargin
  }

  private val Header =
    "# Generated by io.sparkdl.codegen.PythonContract from sparkdl's Scala sources. Do not edit:\n" +
      "# `build/sbt pythonWrappers` regenerates it (dev/test and core/pythonJars do).\n"
}
