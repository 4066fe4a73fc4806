package io.sparkdl.codegen

import java.io.File
import java.nio.charset.StandardCharsets.UTF_8
import java.nio.file.Files

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.codegen.fixture.echo.EchoTransformer

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
    assert(files.keySet == Set("__init__.py", "codegen_fixture_echo.py"))
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
    assert(py.contains("self._setDefault(count=3, flag=True, names=[\"a\", \"b\"], ratio=0.5)"))
    assert(py.contains("self._java_obj = self._new_java_obj(self._java_class, self.uid)"))
    assert(py.contains("def setInputCol(self, value: str) -> _EchoTransformer:"))
    assert(py.contains("def getCount(self) -> int:"))
    assert(!py.contains("NotAStage"))
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

  test("string literals escape what Python would misread") {
    assert(PythonWrappers.pyString("a\"b\\c\nd\u00e9") == "\"a\\\"b\\\\c\\nd\\u00e9\"")
    val map = PythonWrappers.pyLiteral(Map("b" -> "1", "a" -> "2"), "m")
    assert(map == "{\"a\": \"2\", \"b\": \"1\"}")
    assert(PythonWrappers.pyLiteral(1e-4, "d") == "1.0E-4")
  }
}
