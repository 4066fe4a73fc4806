package io.sparkdl.ml.udf

import java.util.concurrent.atomic.AtomicLong

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{
  Expression, GenericInternalRow, JoinedRow, SpecificInternalRow, UnsafeProjection
}
import org.apache.spark.sql.execution.metric.SQLMetric
import org.apache.spark.sql.types.DataType

import io.sparkdl.tensorframes.{BlockIterator, BlockRows, ModelRunner, ShippedPlan, TensorReader}
import io.sparkdl.tf.Tensor

/** What a task needs to run one model call: the plan and model, the argument expressions (bound
 * to the input rows, cast as the model takes them), and how to name the arguments in errors. */
private[udf] final case class ShippedCall(
    shipped: ShippedPlan,
    arguments: Seq[Expression],
    names: ArgumentNames,
    returnsStruct: Boolean
)

/**
 * The executor side of [[ModelEvalExec]]: streams a partition in blocks of at most `blockSize`
 * rows, runs each call's model once per block (sessions from the executor's SessionCache), and
 * appends one result column per call to each row. Only one block of rows is held at a time.
 */
private[udf] final class ModelCallBlocks(
    calls: Seq[ShippedCall],
    inputTypes: Seq[DataType],
    resultTypes: Seq[DataType],
    blockSize: Int,
    modelRuns: SQLMetric
) extends Serializable {

  def apply(partitionIndex: Int, input: Iterator[InternalRow]): Iterator[InternalRow] =
    new Blocks(partitionIndex, input)

  private final class Blocks(partitionIndex: Int, input: Iterator[InternalRow]) extends BlockIterator(input) {
    private val k = calls.length
    // Sessions are leased on the first block, so that an empty partition loads no model.
    private lazy val runners = calls.map(c => new ModelRunner(c.shipped)).toArray
    private val argumentRows = calls.map { c =>
      val p = UnsafeProjection.create(c.arguments)
      p.initialize(partitionIndex)
      p
    }.toArray
    private val results = new SpecificInternalRow(resultTypes)
    private val structs = calls.map { c =>
      if (c.returnsStruct) new GenericInternalRow(c.shipped.plan.fetches.length) else null
    }
    private val joined = new JoinedRow()
    private val project = UnsafeProjection.create((inputTypes ++ resultTypes).toArray)
    // The block's input rows and each call's argument rows, in buffers reused block to block.
    private val inputRows = new BlockRows(blockSize)
    private val args = Array.fill(k)(new BlockRows(blockSize))
    private var tensors: Array[Array[Tensor]] = Array.fill(k)(Array.empty)
    private var readers: Array[Array[TensorReader]] = Array.fill(k)(Array.empty)

    override protected def row(pos: Int): InternalRow = {
      var c = 0
      while (c < k) {
        val rs = readers(c)
        if (structs(c) == null) rs(0).read(pos, results, c)
        else {
          var j = 0
          while (j < rs.length) { rs(j).read(pos, structs(c), j); j += 1 }
          results.update(c, structs(c))
        }
        c += 1
      }
      project(joined(inputRows.rows(pos), results))
    }

    override protected def nextBlock(): Int = {
      runners.foreach(_.startBlock())
      var n = 0
      while (n < blockSize && input.hasNext) {
        val row = input.next()
        inputRows.set(n, row)
        var c = 0
        while (c < k) {
          args(c).set(n, argumentRows(c)(row))
          runners(c).check(args(c).rows(n)).foreach { problem =>
            throw new IllegalArgumentException(calls(c).names.explain(problem))
          }
          c += 1
        }
        n += 1
      }
      var c = 0
      while (c < k) {
        tensors(c) = runners(c).runBlock(args(c).rows, n)
        modelRuns.add(1)
        ModelCallBlocks.runs.incrementAndGet()
        readers(c) = tensors(c).map(new TensorReader(_, leading = true))
        val fetches = calls(c).shipped.plan.fetches
        fetches.zip(readers(c)).find(_._2.numRows != n).foreach { case (f, r) =>
          throw new IllegalArgumentException(
            s"SQL function ${calls(c).names.function}: model output '${f.column}' returned " +
              s"${r.numRows} rows for a batch of $n; a SQL function returns one result per row"
          )
        }
        c += 1
      }
      n
    }

    override protected def release(): Unit = {
      tensors.foreach(_.foreach(_.close()))
      tensors = Array.fill(k)(Array.empty)
      readers = Array.fill(k)(Array.empty)
    }
  }
}

private[sparkdl] object ModelCallBlocks {

  /** Model runs by SQL functions in this JVM so far (for tests and metrics). */
  val runs = new AtomicLong()
}
