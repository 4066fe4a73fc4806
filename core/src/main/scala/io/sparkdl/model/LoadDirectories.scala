package io.sparkdl.model

import java.nio.file.{Files, Path}

import scala.collection.mutable

/**
 * The directories SavedModels are copied into for TF to load, reused under the same names. TF
 * keeps load metrics per export path (`/tensorflow/cc/saved_model/load_*`, labelled by
 * `model_path`) for the life of the process: dev/soak measured ~2 KB of native memory per distinct
 * path, so a fresh temporary directory per load grew memory with every session the cache loaded
 * again. The names are slots of one private (0700) directory per JVM, a slot is free again once
 * its directory is closed, so the paths TF sees are as many as loads ever ran at the same time.
 */
private[sparkdl] object LoadDirectories {

  /** A slot's directory, empty and only this user's; [[close]] deletes it and frees the slot. */
  final class LoadDirectory private[LoadDirectories] (val path: Path, slot: Int) extends AutoCloseable {
    private var closed = false
    override def close(): Unit = synchronized {
      if (!closed) {
        closed = true
        try SavedModelArchive.deleteTree(path)
        finally LoadDirectories.release(slot)
      }
    }
  }

  private var root: Option[Path] = None
  private val free = mutable.SortedSet.empty[Int]
  private var slots = 0
  private var handedOut = 0L

  /** A directory to copy a model into, named by the lowest free slot. */
  def acquire(): LoadDirectory = {
    val (dir, slot) = synchronized {
      val slot = free.headOption.getOrElse { slots += 1; slots - 1 }
      free -= slot
      handedOut += 1
      (base().resolve(slot.toString), slot)
    }
    try {
      SavedModelArchive.deleteTree(dir) // what a crashed load left behind
      Files.createDirectory(dir)
    } catch { case e: Throwable => release(slot); throw e }
    new LoadDirectory(dir, slot)
  }

  /** Directories handed out so far, and the distinct slots among them (for tests). */
  def handedOutCount: Long = synchronized(handedOut)
  def slotCount: Int = synchronized(slots)

  private def release(slot: Int): Unit = synchronized(free += slot)

  // Under the lock. A new root only if the old one was removed (e.g. by a temp-dir cleaner).
  private def base(): Path = {
    if (!root.exists(Files.isDirectory(_))) {
      val dir = PrivateDirectory.create("sparkdl-load-")
      dir.toFile.deleteOnExit() // empty by then: each slot's directory is deleted when closed
      root = Some(dir)
    }
    root.get
  }
}
