package io.sparkdl.model

import java.nio.file.Files

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.tf.{Fixtures, SessionConfig}

/** SavedModels are loaded from reused directory names: TF keeps memory per path it loaded from. */
class LoadDirectoriesSuite extends AnyFunSuite {

  test("loading models again and again hands TF the same directory, with each model's own files") {
    val mlp = SavedModelArchive.fromDirectory(Fixtures.path("keras_mlp").toString)
    val twoSigs = SavedModelArchive.fromDirectory(Fixtures.path("saved_model_two_sigs").toString)
    val (handedOut, slots) = (LoadDirectories.handedOutCount, LoadDirectories.slotCount)
    for (i <- 0 until 10) {
      val (source, isMlp) = if (i % 2 == 0) (mlp, true) else (twoSigs, false)
      val loaded = source.load(SessionConfig())
      try assert(loaded.graph.operation("serve_x").isDefined == isMlp, s"load $i: another model's files")
      finally loaded.close()
    }
    assert(LoadDirectories.handedOutCount == handedOut + 10, "the loads did not go through LoadDirectories")
    assert(LoadDirectories.slotCount <= slots + 1, "each load had a directory name of its own")
  }

  test("directories held at the same time are distinct; a closed one's name comes back, empty") {
    val a = LoadDirectories.acquire()
    val b = LoadDirectories.acquire()
    try {
      assert(a.path != b.path)
      assert(Files.isDirectory(a.path) && Files.list(a.path).count() == 0)
      Files.write(a.path.resolve("saved_model.pb"), Array[Byte](1, 2, 3))
      val aPath = a.path
      a.close()
      a.close() // twice: the slot is freed once
      assert(!Files.exists(aPath))
      val c = LoadDirectories.acquire()
      val d = LoadDirectories.acquire()
      try {
        assert(c.path == aPath)
        assert(Files.list(c.path).count() == 0)
        assert(d.path != aPath && d.path != b.path)
      } finally { c.close(); d.close() }
    } finally { a.close(); b.close() }
  }

  test("the directories are only this user's") {
    val dir = LoadDirectories.acquire()
    try {
      val perms = Files.getPosixFilePermissions(dir.path.getParent)
      assert(java.nio.file.attribute.PosixFilePermissions.toString(perms) == "rwx------")
    } finally dir.close()
  }
}
