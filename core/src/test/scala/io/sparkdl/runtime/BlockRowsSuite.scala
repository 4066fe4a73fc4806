package io.sparkdl.runtime

import org.scalatest.funsuite.AnyFunSuite

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{GenericInternalRow, UnsafeProjection, UnsafeRow}
import org.apache.spark.sql.catalyst.util.GenericArrayData
import org.apache.spark.sql.types._
import org.apache.spark.unsafe.types.UTF8String

/**
 * [[BlockRows]] holds a block of rows whose source reuses its row object (as Spark's iterators
 * do), reusing its own buffers from block to block.
 */
class BlockRowsSuite extends AnyFunSuite {

  private val schema = StructType(Seq(
    StructField("id", LongType, nullable = false),
    StructField("s", StringType),
    StructField("a", ArrayType(DoubleType, containsNull = false))
  ))

  /** Row `id`: a string and an array whose sizes vary from row to row, some of them null. */
  private def values(id: Int): InternalRow = {
    val length = Seq(0, 3000, 5, 700, 1, 64)(id % 6)
    val s = if (id % 7 == 3) null else UTF8String.fromString(("é" + id) * length)
    val a = if (id % 5 == 4) null else new GenericArrayData(Array.tabulate[Any]((id * 37) % 300)(_ * 0.5 + id))
    new GenericInternalRow(Array[Any](id.toLong, s, a))
  }

  private def check(held: InternalRow, id: Int, context: String): Unit = {
    val expected = UnsafeProjection.create(schema)(values(id))
    val actual = UnsafeProjection.create(schema)(held)
    assert(actual == expected, s"row $id, $context") // UnsafeRow equality: size and bytes
  }

  test("unsafe rows from a reused row survive, block after block, through growing and shrinking sizes") {
    val project = UnsafeProjection.create(schema) // returns the same UnsafeRow for every input
    for (blockSize <- Seq(1, 3, 4, 1024)) {
      val block = new BlockRows(blockSize)
      val total = 50
      var id = 0
      while (id < total) {
        val n = math.min(blockSize, total - id)
        (0 until n).foreach(i => block.set(i, project(values(id + i))))
        (0 until n).foreach(i => check(block.rows(i), id + i, s"slot $i of blocks of $blockSize"))
        val held = block.rows(0).asInstanceOf[UnsafeRow]
        assert(held.getSizeInBytes == project(values(id)).getSizeInBytes, "a slot's size is its row's")
        id += n
      }
    }
  }

  test("a short row after a long one in the same slot reads as the short row") {
    val project = UnsafeProjection.create(schema)
    val block = new BlockRows(1)
    block.set(0, project(values(1))) // the longest string
    check(block.rows(0), 1, "long")
    block.set(0, project(values(2)))
    check(block.rows(0), 2, "short after long")
    assert(block.rows(0).getUTF8String(1).numBytes() == UTF8String.fromString("é2" * 5).numBytes())
  }

  test("rows that are not unsafe are copied, not held") {
    val block = new BlockRows(4)
    val reused = new GenericInternalRow(3)
    (0 until 4).foreach { i =>
      val v = values(i)
      (0 until 3).foreach(j => reused.update(j, v.get(j, schema(j).dataType)))
      block.set(i, reused)
    }
    (0 until 4).foreach(i => check(block.rows(i), i, s"generic slot $i"))
  }

  test("slots grow on demand up to the block size, not allocated up front") {
    val block = new BlockRows(Int.MaxValue)
    assert(block.rows.length <= 1024)
    val project = UnsafeProjection.create(schema)
    (0 until 3000).foreach(i => block.set(i, project(values(i))))
    assert(block.rows.length >= 3000)
    Seq(0, 1023, 1024, 2047, 2999).foreach(i => check(block.rows(i), i, "grown"))
  }
}
