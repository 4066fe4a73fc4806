package io.sparkdl.codegen

import java.io.File
import java.nio.charset.StandardCharsets.UTF_8
import java.nio.file.Files

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.codegen.fixture.echo.{EchoEstimator, EchoModel, EchoTransformer}
import io.sparkdl.ml.param.{Choices, OutputMode}

/**
 * Meta-tests of the Python wrappers: every sparkdl stage has a generated base with its params'
 * field names equal to their names, and python/sparkdl/_gen is what the generator writes now.
 * (That each base has a public Python class is checked by python/tests/test_ml.py.)
 */
class PythonWrappersSuite extends AnyFunSuite {
  private def property(key: String): File = new File(
    sys.props.getOrElse(key, fail(s"-D$key is not set; run the suite with build/sbt codegen/test"))
  )
  private lazy val coreClasses = property("sparkdl.codegen.classes")
  private lazy val generatedDir = property("sparkdl.codegen.out")
  private lazy val testClasses =
    new File(classOf[EchoTransformer].getProtectionDomain.getCodeSource.getLocation.toURI)

  private def stages =
    StageCatalog.discover(coreClasses, PythonWrappers.StagePackage, getClass.getClassLoader)

  test("the scan finds sparkdl's stages, and only stages") {
    val names = stages.map(_.name)
    assert(names.contains("io.sparkdl.ml.TFTransformer"), names)
    assert(names.contains("io.sparkdl.ml.KerasTransformer"), names)
    assert(!names.contains("io.sparkdl.ml.TFModel"))
  }

  test("every param's field name equals its name") {
    for (stage <- stages; (accessor, param) <- stage.paramAccessors) {
      val field = s"${stage.name}.${accessor.getName}"
      assert(accessor.getName == param.name, s"$field is named '${param.name}'")
    }
  }

  test("every stage has a generated Python base with each of its params") {
    val files = PythonWrappers.generate(coreClasses)
    for (stage <- stages) {
      val module = files(PythonWrappers.moduleName(stage.packageName) + ".py")
      assert(module.contains(s"\nclass _${stage.simpleName}("), s"no Python base for ${stage.name}")
      assert(module.contains(s"_java_class = \"${stage.name}\""))
      for ((_, p) <- stage.paramAccessors) {
        assert(module.contains(s"    ${p.name}: Param["), s"${stage.name}.${p.name}")
      }
    }
  }

  test("python/sparkdl/_gen is up to date (build/sbt pythonWrappers regenerates it)") {
    val fresh = Files.createTempDirectory("sparkdl-gen").toFile
    PythonWrappers.write(PythonWrappers.generate(coreClasses), fresh)
    def pyFiles(dir: File) = Option(dir.listFiles()).toSeq.flatten.filter(_.getName.endsWith(".py"))
      .map(f => f.getName -> new String(Files.readAllBytes(f.toPath), UTF_8)).toMap
    val expected = pyFiles(fresh)
    val actual = pyFiles(generatedDir)
    assert(actual.keySet == expected.keySet, s"files in $generatedDir")
    for ((name, text) <- expected if actual(name) != text) {
      val lines = text.linesIterator.toSeq.zipAll(actual(name).linesIterator.toSeq, "", "")
      val (now, before) = lines.find(p => p._1 != p._2).get
      fail(
        s"$generatedDir/$name is stale (run build/sbt pythonWrappers): " +
          s"generated '$now', found '$before'"
      )
    }
  }

  test("the generator renders names, docs, converters and defaults read from the Scala stage") {
    val files = PythonWrappers.generate(testClasses, "io.sparkdl.codegen.fixture.echo")
    assert(files.keySet == Set("__init__.py", "codegen_fixture_echo.py", PythonContract.FileName))
    val py = files("codegen_fixture_echo.py")
    assert(
      py.contains("class _EchoTransformer(SparkdlJavaParams, JavaTransformer, JavaMLWritable):")
    )
    assert(py.contains("_java_class = \"io.sparkdl.codegen.fixture.echo.EchoTransformer\""))
    assert(
      py.contains("\"the \\\"input\\\" column\",\n        typeConverter=TypeConverters.toString,")
    )
    assert(py.contains("typeConverter=TypeConverters.toInt,"))
    assert(py.contains("typeConverter=TypeConverters.toFloat,"))
    assert(py.contains("typeConverter=TypeConverters.toBoolean,"))
    assert(py.contains("typeConverter=TypeConverters.toListString,"))
    assert(py.contains(
      "self._setDefault(count=3, flag=True, mode=\"fast\", names=[\"a\", \"b\"], ratio=0.5)"
    ))
    assert(py.contains("self._java_obj = self._new_java_obj(self._java_class, self.uid)"))
    assert(py.contains("def setInputCol(self, value: str) -> _EchoTransformer:"))
    assert(py.contains("def getCount(self) -> int:"))
    assert(!py.contains("NotAStage"))
  }

  test("each base names its params' kinds, which the contract's table gives their classes") {
    val files = PythonWrappers.generate(testClasses, "io.sparkdl.codegen.fixture.echo")
    val py = files("codegen_fixture_echo.py")
    assert(py.contains("from sparkdl._param_types import to_string_map\n"))
    assert(py.contains(
      "    _param_kinds: ClassVar[dict[str, str]] = {\n        \"count\": \"plain\",\n"
    ), py)
    for ((name, kind) <- Seq("mapping" -> "json", "names" -> "list", "level" -> "plain")) {
      assert(py.contains(s"        \"$name\": \"$kind\",\n"), name)
    }
    val contract = files(PythonContract.FileName)
    for (k <- PythonWrappers.ParamKind.All) {
      assert(contract.contains(s"    \"${k.name}\": ("), k)
    }
    for ((cls, tpe) <- PythonWrappers.ParamTypes) {
      val entry = s"(\"${tpe.kind.name}\", \"${tpe.converter}\")"
      assert(contract.contains(s"    \"${cls.getName}\": $entry,\n"), cls)
    }
  }

  test("the contract holds the Scala values Python reads") {
    val contract = PythonContract.render()
    val t = io.sparkdl.runtime.TrainingSignatures
    val expected = Seq(
      "SIGNATURE_SERVE" -> t.Serve, "SIGNATURE_TRAIN_STEP" -> t.TrainStep,
      "SIGNATURE_EVALUATE" -> t.Evaluate, "SIGNATURE_TRAIN_STEP_ALLREDUCE" -> t.TrainStepAllReduce,
      "SIGNATURE_ALLREDUCE_SUM" -> t.AllReduceSum, "KEY_FEATURES" -> t.Features,
      "KEY_LABEL" -> t.Label, "KEY_LEARNING_RATE" -> t.LearningRate, "KEY_SUM" -> t.Sum,
      "KEY_SERVE_OUTPUT" -> t.ServeOutput, "KEY_LOSS" -> t.Loss,
      "OUTPUT_MODE_ARRAY" -> io.sparkdl.ml.param.OutputMode.Array,
      "OUTPUT_MODE_VECTOR" -> io.sparkdl.ml.param.OutputMode.Vector,
      "MODEL_WIRE_PREFIX" -> io.sparkdl.model.ModelWireFormat.Prefix,
      "MODEL_UDF_BATCH_SIZE" -> io.sparkdl.sql.ModelUDF.DefaultBatchSize,
      "SAVED_MODEL_SIGNATURE" -> io.sparkdl.tf.SavedModel.DefaultSignature
    )
    for ((name, value) <- expected) {
      assert(contract.contains(s"\n$name = ${PythonWrappers.pyLiteral(value, name)}\n"), name)
    }
    assert(contract.contains(
      t.GroupInputs.map(PythonWrappers.pyString).mkString("\nGROUP_INPUTS = (", ", ", ")\n")
    ))
    for ((name, size) <- io.sparkdl.ml.NamedImageModels.InputSizes) {
      assert(contract.contains(s"    \"$name\": $size,\n"), name)
    }
  }

  /** The docstring of `_X` in a generated module. */
  private def classDoc(module: String, cls: String): String = {
    val start = module.indexOf(s"\nclass $cls(")
    assert(start >= 0, s"no $cls")
    val open = module.indexOf("\"\"\"", start)
    module.substring(open + 3, module.indexOf("\"\"\"", open + 3))
  }

  private def words(s: String): String = s.split("\\s+").filter(_.nonEmpty).mkString(" ")

  test("each base's docstring has a numpy params section: type, default, doc, choices") {
    val py = PythonWrappers.generate(testClasses, "io.sparkdl.codegen.fixture.echo")(
      "codegen_fixture_echo.py"
    )
    val doc = classDoc(py, "_EchoTransformer")
    assert(doc.contains(
      "\n    Parameters\n    ----------\n" +
        "    count : int, default 3\n        how many. Default: 3\n" +
        "    flag : bool, default True\n        on or off. Default: true\n" +
        "    inputCol : str\n        the \"input\" column\n" +
        "    level : int\n        how loud\n        One of ``0``, ``2``.\n" +
        "    mapping : dict[str, str]\n        names to names\n" +
        "    mode : str, default \"fast\"\n        how. Default: 'fast'\n" +
        "        One of ``\"fast\"``, ``\"slow\"``.\n" +
        "    names : list[str], default [\"a\", \"b\"]\n        some names\n" +
        "    ratio : float, default 0.5\n        a share. Default: 0.5\n    "
    ), doc)
    assert(doc.endsWith("a share. Default: 0.5\n    "))
    // Public subclasses get it appended to their docstrings (sparkdl/_gen's _document_params).
    assert(py.contains("def _document_params(cls: type, base: type) -> None:"))
    assert(py.contains(
      "    def __init_subclass__(cls, **kwargs: Any) -> None:\n" +
        "        super().__init_subclass__(**kwargs)\n" +
        "        _document_params(cls, _EchoTransformer)\n"
    ))
  }

  test("every stage's docstring gives each Scala param's doc, default and allowed values") {
    val files = PythonWrappers.generate(coreClasses)
    for (stage <- stages) {
      val module = files(PythonWrappers.moduleName(stage.packageName) + ".py")
      val doc = words(classDoc(module, "_" + stage.simpleName))
      for ((_, p) <- stage.paramAccessors) {
        val what = s"${stage.name}.${p.name}"
        val entry = doc.indexOf(s" ${p.name} : ")
        assert(entry >= 0, s"$what: no entry in\n$doc")
        val next = doc.indexOf(" : ", entry + p.name.length + 4) match {
          case -1 => doc.length
          case i => i
        }
        val text = doc.substring(entry, next)
        // As the Python source spells the reStructuredText: its backslashes doubled.
        val expected = PythonWrappers.rstText(p.doc).replace("\\", "\\\\")
        assert(text.contains(words(expected)), s"$what: no doc in '$text'")
        stage.instance.getDefault(p).foreach { d =>
          val literal = PythonWrappers.pyLiteral(d, what)
          assert(text.contains(s"default $literal") || text.contains(s"Default: ``$literal``"),
            s"$what: no default $literal in '$text'")
        }
        p match {
          case c: Choices[_] =>
            val listed = c.choices.map(v => s"``${PythonWrappers.pyLiteral(v, what)}``")
            assert(text.contains(s"One of ${listed.mkString(", ")}."), s"$what: '$text'")
          case _ =>
        }
      }
    }
    // The params the API reference must list with their allowed values are choice params.
    val choiceParams = stages.flatMap(_.paramAccessors).map(_._2)
      .collect { case p if p.isInstanceOf[Choices[_]] => p.name }
    for (name <- Seq("handleInvalid", "outputMode", "channelOrder", "resizeMethod", "scaleHint")) {
      assert(choiceParams.contains(name), s"$name is not a ChoiceParam")
    }
  }

  test("shared column params keep each stage's own doc; every outputMode says a mode in one wording") {
    val module = PythonWrappers.generate(coreClasses)(PythonWrappers.moduleName(PythonWrappers.StagePackage) + ".py")
    def entry(stage: String, param: String): String = {
      val doc = words(classDoc(module, "_" + stage))
      val start = doc.indexOf(s" $param : ")
      assert(start >= 0, s"$stage: no $param in $doc")
      doc.indexOf(" : ", start + param.length + 4) match {
        case -1 => doc.substring(start)
        case end => doc.substring(start, end)
      }
    }
    assert(entry("DeepImageFeaturizer", "outputCol").contains("each image's features"))
    assert(entry("DeepImagePredictor", "outputCol").contains("ImageNet class probabilities"))
    assert(entry("TFImageTransformer", "inputCol").contains("The column of images (Spark's image struct)."))
    assert(entry("KerasTransformer", "inputCol").contains("The column feeding the model's one input."))
    assert(entry("TFTransformer", "inputMapping").contains("placeholder's tensor name"))
    val vector = words(PythonWrappers.rstText(OutputMode.meaning(OutputMode.Vector)))
    for (stage <- Seq("TFTransformer", "KerasTransformer", "TFImageTransformer", "TFEstimatorModel")) {
      assert(entry(stage, "outputMode").contains(vector), s"$stage: ${entry(stage, "outputMode")}")
    }
  }

  test("an estimator's model is the class its fit(Dataset) returns, found by reflection") {
    val found = StageCatalog.discover(
      testClasses,
      "io.sparkdl.codegen.fixture.echo",
      getClass.getClassLoader
    )
    val byName = found.map(s => s.simpleName -> s).toMap
    assert(byName.keySet == Set("EchoEstimator", "EchoModel", "EchoTransformer"))
    assert(byName("EchoEstimator").fittedModel.contains(classOf[EchoModel]))
    assert(byName("EchoModel").fittedModel.isEmpty && byName("EchoTransformer").fittedModel.isEmpty)
    // The model has only `new EchoModel(uid)`; its params and defaults are read all the same.
    val model = byName("EchoModel").instance.asInstanceOf[EchoModel]
    assert(model.getDefault(model.fittedCount).contains(0))
    assert(classOf[EchoEstimator].getConstructors.exists(_.getParameterCount == 0))
  }

  test("an estimator's base fits its model's public Python class; a model's wraps a JVM model") {
    val py = PythonWrappers.generate(testClasses, "io.sparkdl.codegen.fixture.echo")(
      "codegen_fixture_echo.py"
    )
    assert(
      py.contains(
        "\nimport importlib\nimport inspect\nimport re\nfrom typing import Any, ClassVar\n"
      )
    )
    assert(
      py.contains("from pyspark.ml.wrapper import JavaEstimator, JavaModel, JavaTransformer\n")
    )
    def body(cls: String): String = {
      val start = py.indexOf(s"\nclass $cls(")
      assert(start >= 0, s"no $cls")
      val end = py.indexOf("\nclass ", start + 1)
      py.substring(start, if (end < 0) py.length else end)
    }
    val estimator = body("_EchoEstimator")
    assert(estimator.contains(
      "class _EchoEstimator(SparkdlJavaParams, JavaEstimator[\"_EchoModel\"], JavaMLWritable):"
    ))
    assert(estimator.contains("_java_class = \"io.sparkdl.codegen.fixture.echo.EchoEstimator\""))
    assert(estimator.contains("    @keyword_only\n    def __init__(\n        self,\n        *,\n"))
    assert(estimator.contains("self._java_obj = self._new_java_obj(self._java_class, self.uid)"))
    assert(estimator.contains("self._setDefault(count=3)"))
    assert(estimator.contains("def setParams("))
    assert(estimator.contains(
      "    def _create_model(self, java_model: Any) -> _EchoModel:\n" +
        "        \"\"\"Wraps the fitted JVM model in " +
        ":class:`sparkdl.codegen.fixture.echo.EchoModel`.\"\"\"\n" +
        "        module = importlib.import_module(\"sparkdl.codegen.fixture.echo\")\n" +
        "        return module.EchoModel(java_model)\n"
    ))
    assert(estimator.contains("def setCount(self, value: int) -> _EchoEstimator:"))

    val model = body("_EchoModel")
    assert(model.contains("class _EchoModel(SparkdlJavaParams, JavaModel, JavaMLWritable):"))
    assert(model.contains(":class:`sparkdl.codegen.fixture.echo.EchoEstimator` fits it."))
    assert(model.contains("_java_class = \"io.sparkdl.codegen.fixture.echo.EchoModel\""))
    assert(model.contains(
      "    def __init__(self, java_model: Any = None) -> None:\n" +
        "        super().__init__(java_model)\n" +
        "        self._setDefault(fittedCount=0)\n" +
        "        if java_model is not None:\n" +
        "            self._transfer_params_from_java()\n"
    ))
    assert(model.contains("    fittedCount: Param[int] = Param("))
    assert(model.contains("def setFittedCount(self, value: int) -> _EchoModel:"))
    assert(model.contains("def getInputCol(self) -> str:"))
    assert(!model.contains("keyword_only") && !model.contains("setParams") &&
      !model.contains("_new_java_obj") && !model.contains("_create_model"))

    val transformer = body("_EchoTransformer")
    assert(!transformer.contains("_create_model") && !transformer.contains("java_model"))
  }

  test("an estimator whose model is not among the scanned stages is rejected, naming both") {
    val e = intercept[IllegalArgumentException](
      PythonWrappers.generate(testClasses, "io.sparkdl.codegen.fixture.stray")
    )
    assert(e.getMessage.contains(
      "StrayEstimator.fit returns io.sparkdl.codegen.fixture.echo.EchoModel, which is not"
    ), e.getMessage)
  }

  test("a param whose field name differs from its name is rejected, naming both") {
    val e = intercept[IllegalArgumentException](
      PythonWrappers.generate(testClasses, "io.sparkdl.codegen.fixture.misnamed")
    )
    assert(e.getMessage.contains("Misnamed: param field 'inputColumn' is named 'inputCol'"))
  }

  test("a param type without a Python type is rejected, naming the param") {
    val e = intercept[IllegalArgumentException](
      PythonWrappers.generate(testClasses, "io.sparkdl.codegen.fixture.untyped")
    )
    assert(
      e.getMessage.contains("Untyped.shape: no Python type for org.apache.spark.ml.param.Param")
    )
  }

  test("docs escape what reStructuredText would misread") {
    assert(PythonWrappers.rstText("prefixed 'val_', a*b |c| snake_case") ==
      "prefixed 'val\\_', a\\*b \\|c\\| snake_case")
  }

  test("string literals escape what Python would misread") {
    assert(PythonWrappers.pyString("a\"b\\c\nd\u00e9") == "\"a\\\"b\\\\c\\nd\\u00e9\"")
    val map = PythonWrappers.pyLiteral(Map("b" -> "1", "a" -> "2"), "m")
    assert(map == "{\"a\": \"2\", \"b\": \"1\"}")
    assert(PythonWrappers.pyLiteral(1e-4, "d") == "1.0E-4")
  }
}
