package io.sparkdl.ml

import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.sql.types._

import io.sparkdl.model._

/**
 * transformSchema's checks, with no data: every message names the stage (uid), the param, what
 * was expected and what was found. transform runs the same checks before any job.
 */
class StageSchemaSuite extends StageFixtures {

  private val floats = ArrayType(FloatType, containsNull = false)
  private val twoInputSchema = schemaOf("i" -> IntegerType, "a" -> floats, "b" -> floats)

  private def twoInputStage(model: TFModel = twoInputGraph) = new TFTransformer().setModel(model)
    .setInputMapping(Map("a" -> "x1", "b" -> "x2")).setOutputMapping(Map("max_diff" -> "d"))

  /** The error of `stage.transformSchema(schema)`, checked to name the stage and each of `parts`. */
  private def schemaError(stage: org.apache.spark.ml.Transformer, schema: StructType, parts: String*): String = {
    val e = intercept[IllegalArgumentException](stage.transformSchema(schema))
    (stage.uid +: parts).foreach(p => assert(e.getMessage.contains(p), s"'$p' missing from: ${e.getMessage}"))
    e.getMessage
  }

  test("a valid schema gets the output columns appended, in sorted order of their names") {
    val stage = new TFTransformer().setModel(reduceMax)
      .setInputMapping(Map("x" -> "x_float64", "n" -> "x_int64"))
      .setOutputMapping(Map("max_int64" -> "z_max", "max_float64" -> "a_max"))
    val schema = schemaOf("x" -> ArrayType(DoubleType, false), "n" -> ArrayType(LongType, false))
    val out = stage.transformSchema(schema)
    assert(out.fieldNames.toSeq == Seq("x", "n", "a_max", "z_max"))
    assert(out("a_max").dataType == DoubleType && out("z_max").dataType == LongType)
    val vectors = stage.setOutputMode("vector").transformSchema(schema)
    assert(vectors("a_max").dataType == VectorType && vectors("z_max").dataType == VectorType)
  }

  test("missing required params") {
    val noModel = new TFTransformer().setInputMapping(Map("a" -> "x1")).setOutputMapping(Map("d" -> "d"))
    schemaError(noModel, twoInputSchema, "param 'model' is required", "expected a TFModel")
    schemaError(new TFTransformer().setModel(twoInputGraph).setOutputMapping(Map("max_diff" -> "d")),
      twoInputSchema, "param 'inputMapping' is required")
    schemaError(new TFTransformer().setModel(twoInputGraph).setInputMapping(Map("a" -> "x1")),
      twoInputSchema, "param 'outputMapping' is required")
    schemaError(new KerasTransformer().setModel(dense10).setOutputCol("y"), twoInputSchema, "param 'inputCol' is required")
    schemaError(new KerasTransformer().setModel(dense10).setInputCol("a"), twoInputSchema, "param 'outputCol' is required")
    schemaError(new KerasTransformer().setInputCol("a").setOutputCol("y"), twoInputSchema, "param 'model' is required")
  }

  test("a missing input column") {
    val stage = twoInputStage().setInputMapping(Map("a" -> "x1", "c" -> "x2"))
    schemaError(stage, twoInputSchema, "inputMapping", "'c'", "lacks", "expected one of its columns: i, a, b")
    schemaError(new KerasTransformer().setModel(dense10).setInputCol("x").setOutputCol("y"), twoInputSchema,
      "inputCol", "'x'", "lacks")
  }

  test("a column of the wrong type: strings, array<string>, a float column for an integer input") {
    val strings = schemaOf("i" -> IntegerType, "a" -> StringType, "b" -> floats)
    schemaError(twoInputStage(), strings, "inputMapping column 'a' has type string", "model input 'x1'",
      "expected float32 values")
    val maps = schemaOf("i" -> IntegerType, "a" -> MapType(StringType, FloatType), "b" -> floats)
    schemaError(twoInputStage(), maps, "inputMapping column 'a' has type map<string,float>",
      "expected a numeric scalar, a (nested) numeric array or an ML vector")
    val stringArrays = schemaOf("i" -> IntegerType, "a" -> ArrayType(StringType, false), "b" -> floats)
    schemaError(twoInputStage(), stringArrays, "column 'a' has type array<string>", "feed model input 'x1' (float32[?,4])",
      "expected a numeric scalar")
    val toInts = new TFTransformer().setModel(reduceMax).setInputMapping(Map("v" -> "x_int32"))
      .setOutputMapping(Map("max_int32" -> "m"))
    schemaError(toInts, schemaOf("v" -> ArrayType(DoubleType, false)), "column 'v' has type array<double>",
      "expected int32 values", "not cast to integers")
    schemaError(toInts, schemaOf("v" -> VectorType), "column 'v' has type vector", "expected int32", "ML vectors feed float32 or float64 inputs only")
  }

  test("a column whose cells have the wrong rank") {
    val stage = new KerasTransformer().setModel(reshape).setInputCol("x").setOutputCol("y")
    schemaError(stage, schemaOf("x" -> floats), "inputCol column 'x' has cells of rank 1", "expects cells of rank 2",
      "float32[?,3,2]")
  }

  test("an output column that already exists") {
    schemaError(twoInputStage().setOutputMapping(Map("max_diff" -> "b")), twoInputSchema,
      "outputMapping names output column 'b', which already exists", "expected a new column name")
    schemaError(new KerasTransformer().setModel(dense10).setInputCol("a").setOutputCol("i"), twoInputSchema,
      "outputCol names output column 'i'")
  }

  test("unknown model inputs and outputs: tensor names and signature keys") {
    schemaError(twoInputStage().setInputMapping(Map("a" -> "x1", "b" -> "x3")), twoInputSchema,
      "inputMapping maps column 'b' to model input 'x3'", "expected a placeholder of the graph: x1, x2")
    schemaError(twoInputStage().setInputMapping(Map("a" -> "x1", "b" -> "max_diff")), twoInputSchema,
      "model input 'max_diff', which is not an input")
    schemaError(twoInputStage().setOutputMapping(Map("nope:0" -> "d")), twoInputSchema,
      "outputMapping maps model output 'nope:0' to column 'd'", "no such output", "a tensor of the graph")
    schemaError(twoInputStage(twoInputSaved).setInputMapping(Map("a" -> "x1", "b" -> "y")), twoInputSchema,
      "model input 'y'", "one of signature 'serving_default' inputs: x1, x2")
    schemaError(twoInputStage(twoInputSaved).setOutputMapping(Map("diff" -> "d")), twoInputSchema,
      "model output 'diff'", "one of signature 'serving_default' outputs: max_diff")
  }

  test("model inputs the outputs need but no column feeds") {
    schemaError(twoInputStage().setInputMapping(Map("a" -> "x1")), twoInputSchema,
      "need model input(s) 'x2'", "which inputMapping does not feed", "mapped: a -> x1")
    val sig = twoInputSaved.signature.get
    schemaError(twoInputStage(twoInputSaved).setInputMapping(Map("b" -> "x2")), twoInputSchema,
      s"'x1' (tensor ${sig.inputs("x1").name.takeWhile(_ != ':')})", "does not feed")
  }

  test("two columns for one model input, two outputs into one column") {
    schemaError(twoInputStage().setInputMapping(Map("a" -> "x1", "b" -> "x1")), twoInputSchema,
      "inputMapping maps columns 'a', 'b' to the same model input 'x1'")
    val stage = new TFTransformer().setModel(reduceMax).setInputMapping(Map("x" -> "x_float32"))
      .setOutputMapping(Map("max_float32" -> "m", "max_float32:0" -> "m"))
    schemaError(stage, schemaOf("x" -> floats), "outputMapping maps model outputs", "to the same column 'm'")
  }

  test("outputMode vector takes numeric outputs of any rank, and refuses others") {
    val stage = new KerasTransformer().setModel(reshape).setInputCol("x").setOutputCol("y").setOutputMode("vector")
    assert(stage.transformSchema(schemaOf("x" -> ArrayType(floats, false)))("y").dataType == VectorType)
    val strings = new TFTransformer().setModel(dtypesGraph).setInputMapping(Map("s" -> "x_string"))
      .setOutputMapping(Map("y_string:0" -> "y")).setOutputMode("vector")
    schemaError(strings, schemaOf("s" -> StringType), "outputMode 'vector' needs numeric outputs",
      "model output 'y_string:0'", "string cells", "or use outputMode 'array'")
  }

  test("KerasTransformer needs a SavedModel whose signature has exactly one input and one output") {
    schemaError(new KerasTransformer().setModel(twoInputSaved).setInputCol("a").setOutputCol("d"), twoInputSchema,
      "inputs [x1, x2] and outputs [max_diff]", "expected exactly one input and one output")
    schemaError(new KerasTransformer().setModel(twoInputGraph).setInputCol("a").setOutputCol("d"), twoInputSchema,
      "frozen GraphDef", "expected a SavedModel with a signature")
  }

  test("transform checks the schema before starting any job") {
    val df = spark.createDataFrame(Seq((1, "s"))).toDF("i", "a")
    val stage = new KerasTransformer().setModel(dense10).setInputCol("a").setOutputCol("y")
    val (e, jobs) = countJobs(intercept[IllegalArgumentException](stage.transform(df)))
    assert(e.getMessage.contains(stage.uid) && e.getMessage.contains("inputCol column 'a' has type string"), e.getMessage)
    assert(jobs == 0)
  }
}
