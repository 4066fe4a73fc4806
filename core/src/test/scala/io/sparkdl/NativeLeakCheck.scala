package io.sparkdl

import org.scalatest.{BeforeAndAfterAll, Suite}

import io.sparkdl.runtime.SessionCache
import io.sparkdl.tf.{ImageDecoding, NativeObjectCounts, NativeObjects}

/**
 * Fails a suite (reported as aborted) when native objects are still alive after it: once the
 * suite's own afterAll has run (Spark stopped) and the executor's idle cached sessions and
 * shared image decoders are closed, every tensor, session, graph and operation builder of this JVM must be freed. A session
 * still leased by no task (a lease never released) stays in the cache and is reported too.
 */
trait NativeLeakCheck extends BeforeAndAfterAll { this: Suite =>

  override def afterAll(): Unit =
    try super.afterAll()
    finally {
      SessionCache.clear()
      ImageDecoding.closeShared()
      val left = NativeObjects.live()
      if (left != NativeObjectCounts.Zero) {
        throw new IllegalStateException(
          s"$suiteName left native objects alive: tensors=${left.tensors} sessions=${left.sessions} " +
            s"graphs=${left.graphs} operationBuilders=${left.operationBuilders} " +
            s"(cached sessions still leased: ${SessionCache.size})"
        )
      }
    }
}
