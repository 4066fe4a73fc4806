package io.sparkdl.ml

import java.nio.charset.StandardCharsets.UTF_8
import java.nio.file.{Files, Path}

import scala.util.Using

import io.sparkdl.model.TFModel
import io.sparkdl.tf.Fixtures

/**
 * Models that cannot load, and saved stages that are not what they claim: one error on the
 * driver naming the user's path or file (never a temporary directory) and what is wrong.
 */
class ModelLoadingErrorsSuite extends StageFixtures {

  private lazy val root: Path = Files.createTempDirectory("sparkdl-model-errors-")

  private def copyOf(name: String, as: String): Path = Fixtures.copyTree(name, root.resolve(as))

  private def deleteTree(p: Path): Unit =
    Using.resource(Files.walk(p))(_.sorted(java.util.Comparator.reverseOrder[Path]()).forEach(f => Files.delete(f)))

  private def message(parts: String*)(body: => Any): String = {
    val e = intercept[IllegalArgumentException](body)
    parts.foreach(p => assert(e.getMessage.contains(p), s"'$p' missing from: ${e.getMessage}"))
    e.getMessage
  }

  private val loaders: Seq[(String, String => TFModel)] = Seq(
    "packed" -> (p => TFModel.fromSavedModel(p)),
    "by path" -> (p => TFModel.fromSavedModelPath(p))
  )

  test("a SavedModel without variables/ is refused when it is read, naming the path") {
    val dir = copyOf("keras_dense10", "no_variables")
    deleteTree(dir.resolve("variables"))
    for ((kind, load) <- loaders) {
      val m = message(dir.toString, "variables/variables.index", "copy the whole SavedModel directory")(load(dir.toString))
      assert(!m.contains("uninitialized"), kind)
    }
  }

  test("a missing variables file is reported under the user's path, not a temporary directory") {
    val dir = copyOf("keras_dense10", "no_data")
    Files.delete(dir.resolve("variables/variables.data-00000-of-00001"))
    for ((_, load) <- loaders) {
      val m = message(dir.toString, "variables/variables.data-00000-of-00001")(load(dir.toString))
      assert(!m.contains("sparkdl-load-"), m)
    }
  }

  test("an empty saved_model.pb says it holds no MetaGraphs, naming the file") {
    val dir = copyOf("keras_dense10", "empty_pb")
    Files.write(dir.resolve("saved_model.pb"), Array.emptyByteArray)
    for ((_, load) <- loaders) {
      val m = message(s"$dir/saved_model.pb", "empty", "no MetaGraphs")(load(dir.toString))
      assert(!m.contains("tag sets: \n") && !m.endsWith("tag sets: "), m)
    }
  }

  test("a saved_model.pb of garbage says it is corrupt, naming the file") {
    val dir = copyOf("keras_dense10", "garbage_pb")
    Files.write(dir.resolve("saved_model.pb"), "not a protobuf at all \u00ff\u00fe".getBytes(UTF_8))
    for ((_, load) <- loaders) {
      val e = intercept[RuntimeException](load(dir.toString))
      Seq("saved_model.pb", dir.toString, "corrupt").foreach(p => assert(e.getMessage.contains(p), e.getMessage))
    }
  }

  test("empty tags are refused: tags must be non-empty") {
    val dir = Fixtures.path("keras_dense10").toString
    for (load <- Seq[(String, Seq[String]) => TFModel](
        (p, t) => TFModel.fromSavedModel(p, t), (p, t) => TFModel.fromSavedModelPath(p, t))) {
      message("tags must be non-empty", dir)(load(dir, Nil))
      message("tags must be non-empty")(load(dir, Seq("")))
    }
  }

  private def savedStage(as: String): Path = {
    val path = root.resolve(as)
    new TFTransformer().setModel(dense10).setInputMapping(Map("x" -> "x")).setOutputMapping(Map("output_0" -> "y"))
      .write.save(path.toString)
    path
  }

  /** Replaces a file of a saved stage as a user would, its Hadoop checksum file with it. */
  private def rewrite(file: Path, text: String): Unit = {
    Files.write(file, text.getBytes(UTF_8))
    Files.deleteIfExists(file.resolveSibling("." + file.getFileName + ".crc"))
  }

  test("a corrupt model.json in a saved stage names the file") {
    val stage = savedStage("corrupt_json")
    val json = stage.resolve("model/model.json")
    rewrite(json, "{\"kind\": \"saved_model\", \"tags\": [\"serve\"")
    message(json.toString, "is not valid JSON", "expected JSON with fields kind")(TFTransformer.load(stage.toString))
    rewrite(json, "{\"kind\": 3}")
    message(json.toString, "kind")(TFTransformer.load(stage.toString))
  }

  test("\"tags\": [] in a saved stage's model.json says tags must be non-empty, naming the file") {
    val stage = savedStage("empty_tags")
    val json = stage.resolve("model/model.json")
    rewrite(json, """{"kind": "saved_model", "tags": [], "signature": "serving_default"}""")
    val m = message(json.toString, "tags must be non-empty")(TFTransformer.load(stage.toString))
    assert(!m.contains("Illegal file pattern"))
  }

  test("a saved stage naming another class is refused before that class is loaded or constructed") {
    val stage = savedStage("other_class")
    val metadata = Using.resource(Files.list(stage.resolve("metadata")))(_.filter(_.getFileName.toString.startsWith("part-")).findFirst().get)
    val text = new String(Files.readAllBytes(metadata), UTF_8)
    // A class with a String constructor that has an effect: constructing it would create the file.
    val planted = root.resolve("planted")
    val evil = text.replace("io.sparkdl.ml.TFTransformer", "java.io.FileOutputStream")
      .replaceAll("\"uid\":\"[^\"]*\"", s""""uid":"$planted"""")
    Files.write(metadata, evil.getBytes(UTF_8))
    Files.deleteIfExists(metadata.resolveSibling("." + metadata.getFileName + ".crc"))
    message("java.io.FileOutputStream", "expected a io.sparkdl.ml.TFTransformer", "is not loaded")(TFTransformer.load(stage.toString))
    assert(!Files.exists(planted), "the class named in the metadata was constructed")

    val featurizer = root.resolve("featurizer")
    new DeepImageFeaturizer().setModelName("ResNet50").setInputCol("image").setOutputCol("f").write.save(featurizer.toString)
    message("io.sparkdl.ml.DeepImageFeaturizer", "expected a io.sparkdl.ml.DeepImagePredictor")(DeepImagePredictor.load(featurizer.toString))
  }

  test("a symbolic link in a saved stage is refused when it loads, naming the link") {
    val secret = root.resolve("secret.txt")
    Files.write(secret, "not the model's".getBytes(UTF_8))
    // assets/innocent.txt -> a file outside the stage (read and copied by a re-save before)
    val asset = savedStage("link_asset")
    Files.createDirectories(asset.resolve("model/saved_model/assets"))
    val innocent = asset.resolve("model/saved_model/assets/innocent.txt")
    Files.createSymbolicLink(innocent, innocent.getParent.relativize(secret))
    message(innocent.toString, "symbolic link")(TFTransformer.load(asset.toString))
    // variables/ linked to a directory outside the stage
    val variables = savedStage("link_variables")
    val outside = root.resolve("outside_variables")
    Files.move(variables.resolve("model/saved_model/variables"), outside)
    Files.createSymbolicLink(variables.resolve("model/saved_model/variables"), outside)
    message(s"$variables/model/saved_model/variables", "symbolic link")(TFTransformer.load(variables.toString))
    // a link loop inside saved_model/
    val loop = savedStage("link_loop")
    Files.createSymbolicLink(loop.resolve("model/saved_model/loop"), Path.of("."))
    message(s"$loop/model/saved_model/loop", "symbolic link")(TFTransformer.load(loop.toString))
    // the params' metadata: a link to a file outside
    val meta = savedStage("link_metadata")
    val part = Using.resource(Files.list(meta.resolve("metadata")))(_.filter(_.getFileName.toString.startsWith("part-")).findFirst().get)
    val copy = root.resolve("metadata_copy")
    Files.move(part, copy)
    Files.createSymbolicLink(part, copy)
    message(part.toString, "symbolic link")(TFTransformer.load(meta.toString))
  }

  test("a symbolic link in a SavedModel directory is refused, packed or read by path, naming it") {
    val secret = root.resolve("sm_secret.txt")
    Files.write(secret, "secret".getBytes(UTF_8))
    val dir = copyOf("keras_dense10", "sm_link_asset")
    Files.createDirectories(dir.resolve("assets"))
    Files.createSymbolicLink(dir.resolve("assets/innocent.txt"), secret)
    val looped = copyOf("keras_dense10", "sm_link_loop")
    Files.createSymbolicLink(looped.resolve("assets/loop"), Path.of(".."))
    for ((_, load) <- loaders) {
      message(s"$dir/assets/innocent.txt", "symbolic link")(load(dir.toString))
      message(s"$looped/assets/loop", "symbolic link")(load(looped.toString))
    }
    // The directory itself may be a link: it is the user's own name for it.
    val linked = root.resolve("sm_linked")
    Files.createSymbolicLink(linked, Fixtures.path("keras_dense10"))
    assert(TFModel.fromSavedModel(linked.toString) == dense10)
  }
}
