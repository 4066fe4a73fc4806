package io.sparkdl.tf

import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}
import java.util.Comparator

import scala.collection.mutable
import scala.util.{Random, Using}

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck
import io.sparkdl.jni.{NativeBindings, NativeLibrary}

/**
 * A seeded fuzz run at the JNI boundary: corrupt and truncated GraphDef and SavedModel bytes,
 * tensors of wrong dtypes, shapes, byte counts and strings fed to runs, names that do not
 * exist, operation descriptions with wrong attributes and inputs. Calls go to [[NativeBindings]]
 * directly wherever the `tf` layer would check arguments first, so the bridge's own checks are
 * what is tested. Every case must end in a Java exception or a result, never a signal: a crash
 * kills the test JVM, and the case that did it is in `target/fuzz-last-case.txt`.
 *
 * `-Dsparkdl.fuzz.seed` and `-Dsparkdl.fuzz.cases` replay or extend a run (defaults below);
 * the run prints both, the time taken and the outcomes by kind.
 */
class BoundaryFuzzSuite extends AnyFunSuite with NativeLeakCheck {
  private val seed = sys.props.get("sparkdl.fuzz.seed").map(_.toLong).getOrElse(20261130L)
  private val cases = sys.props.get("sparkdl.fuzz.cases").map(_.toInt).getOrElse(12000)
  private val trace = sys.props.get("sparkdl.fuzz.trace").contains("true")

  private val graphNames = Seq("add.pb", "dense.pb", "dtypes.pb", "identity.pb", "reduce_max.pb", "two_input.pb")
  private lazy val graphDefs = graphNames.map(Fixtures.bytes)

  test("every fuzz case ends in a Java exception or a result, never a signal") {
    NativeLibrary.load()
    // Which libsparkdl_jni.so this JVM mapped (dev/sanitize checks it is the sanitized one).
    val maps = new String(Files.readAllBytes(Path.of("/proc/self/maps")), StandardCharsets.UTF_8)
    maps.linesIterator.map(_.split("\\s+").last).find(_.contains("libsparkdl_jni"))
      .foreach(lib => println(s"native library in use: $lib"))
    val random = new Random(seed)
    val outcomes = mutable.TreeMap.empty[String, Int]
    val lastCase = Path.of("target", "fuzz-last-case.txt")
    Files.createDirectories(lastCase.getParent)
    val start = System.nanoTime()
    val before = NativeObjects.live()
    Using.resource(new Scratch) { scratch =>
      for (i <- 0 until cases) {
        val caseSeed = random.nextLong()
        val kind = pickKind(random)
        val label = s"case $i, kind $kind, case seed $caseSeed (run seed $seed)"
        if (trace) println(label)
        if (i % 50 == 0 || kind == "savedModel") Files.writeString(lastCase, label)
        val outcome =
          try { runCase(kind, new Random(caseSeed), scratch); "ok" }
          catch {
            case e: OutOfMemoryError if kind == "tensor" => "OutOfMemoryError"
            case e: Exception => e.getClass.getSimpleName
            case e: Throwable => fail(s"$label ended in ${e.getClass.getName}: ${e.getMessage}", e)
          }
        val key = s"$kind/$outcome"
        outcomes(key) = outcomes.getOrElse(key, 0) + 1
      }
    }
    val seconds = (System.nanoTime() - start) / 1e9
    println(f"fuzz: $cases%,d cases, seed $seed, $seconds%.1f s; outcomes by kind:")
    outcomes.foreach { case (k, n) => println(f"  $k%-45s $n%,d") }
    assert(NativeObjects.live() - before == NativeObjectCounts.Zero, "the fuzz run leaked native objects")
    // Every kind ran, and each both failed and succeeded somewhere: the fuzzing reached TF.
    val kinds = outcomes.keys.map(_.takeWhile(_ != '/')).toSet
    assert(kinds == Set("graphDef", "savedModel", "feed", "tensor", "names", "opBuilder"), kinds)
    assert(outcomes.keys.exists(_.endsWith("/ok")) && outcomes.keys.exists(!_.endsWith("/ok")))
  }

  private def pickKind(random: Random): String = random.nextInt(1000) match {
    case n if n < 330 => "graphDef"
    case n if n < 338 => "savedModel"
    case n if n < 560 => "feed"
    case n if n < 760 => "tensor"
    case n if n < 880 => "names"
    case _ => "opBuilder"
  }

  private def runCase(kind: String, r: Random, scratch: Scratch): Unit = kind match {
    case "graphDef" => graphDefCase(r)
    case "savedModel" => savedModelCase(r, scratch)
    case "feed" => feedCase(r, scratch)
    case "tensor" => tensorCase(r)
    case "names" => namesCase(r, scratch)
    case "opBuilder" => opBuilderCase(r, scratch)
  }

  // ---- the objects cases share -----------------------------------------------------------

  /** A loaded add.pb (z = a + b, float32 [?, 3]) and a temp dir, for the whole run. */
  private final class Scratch extends AutoCloseable {
    val graph: Graph = Graph.fromGraphDef(Fixtures.bytes("add.pb"))
    // A bare session handle: runs go to NativeBindings.sessionRun, past PreparedRun's checks.
    val session: Long = NativeBindings.sessionNew(graph.handle, SessionConfig(1, 1).toConfigProto, "")
    val ops: IndexedSeq[Operation] = graph.operations.toIndexedSeq
    val dir: Path = Files.createTempDirectory("sparkdl-fuzz")
    private var builderGraph = Graph()
    private var built = 0
    /** A graph to build operations in, renewed now and then so it stays small. */
    def opGraph: Graph = {
      built += 1
      if (built % 200 == 0) { builderGraph.close(); builderGraph = Graph() }
      builderGraph
    }
    override def close(): Unit = {
      try NativeBindings.sessionDelete(session)
      finally {
        graph.close()
        builderGraph.close()
        Files.walk(dir).sorted(Comparator.reverseOrder[Path]()).forEach(p => Files.delete(p))
      }
    }
  }

  // ---- mutations ---------------------------------------------------------------------------

  private def randomBytes(r: Random, n: Int): Array[Byte] = { val b = new Array[Byte](n); r.nextBytes(b); b }

  /** `bytes` truncated, with bytes flipped, inserted, overwritten or duplicated; or noise. */
  private def mutate(r: Random, bytes: Array[Byte]): Array[Byte] = r.nextInt(7) match {
    case 0 => bytes.take(r.nextInt(bytes.length + 1))
    case 1 =>
      val out = bytes.clone()
      for (_ <- 0 to r.nextInt(8) if out.nonEmpty) out(r.nextInt(out.length)) = r.nextInt(256).toByte
      out
    case 2 =>
      val at = r.nextInt(bytes.length + 1)
      bytes.take(at) ++ randomBytes(r, 1 + r.nextInt(16)) ++ bytes.drop(at)
    case 3 =>
      val out = bytes.clone()
      if (out.nonEmpty) {
        val at = r.nextInt(out.length)
        val n = math.min(out.length - at, 1 + r.nextInt(64))
        System.arraycopy(randomBytes(r, n), 0, out, at, n)
      }
      out
    case 4 =>
      val at = r.nextInt(bytes.length + 1)
      val n = r.nextInt(bytes.length - at + 1)
      bytes.take(at + n) ++ bytes.slice(at, at + n) ++ bytes.drop(at + n)
    case 5 => // one varint-ish field value set to an extreme
      val out = bytes.clone()
      if (out.length > 2) {
        val at = r.nextInt(out.length - 1)
        out(at) = 0xff.toByte
        out(at + 1) = (if (r.nextBoolean()) 0x7f else 0xff).toByte
      }
      out
    case _ => randomBytes(r, r.nextInt(256))
  }

  private def randomName(r: Random): String = r.nextInt(8) match {
    case 0 => ""
    case 1 => "a\u0000b"
    case 2 => "\ud800" + r.alphanumeric.take(3).mkString // an unpaired surrogate
    case 3 => "x" * (1 + r.nextInt(5000))
    case 4 => Seq("a", "b", "z", "x", "y", "add", "Placeholder")(r.nextInt(7)) + ":" + (r.nextInt(7) - 2)
    case 5 => new String(randomBytes(r, r.nextInt(12)), StandardCharsets.ISO_8859_1)
    case 6 => "dense/" + r.alphanumeric.take(r.nextInt(6)).mkString
    case _ => r.alphanumeric.take(r.nextInt(10)).mkString
  }

  private val dtypeCodes = Array(-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 17, 19, 20, 21, 23, 24, 30, 101, Int.MaxValue)
  private def randomDtype(r: Random): Int = dtypeCodes(r.nextInt(dtypeCodes.length))

  private def randomDims(r: Random): Array[Long] = r.nextInt(20) match {
    case 0 => Array.fill(255 + r.nextInt(10))(1L)
    case 1 => Array(Long.MaxValue, 2L)
    case 2 => Array(-1L, 3L)
    case 3 => Array(1L << 31, 1L << 31)
    case _ => Array.fill(r.nextInt(4))(Seq(0L, 1L, 2L, 3L, 5L)(r.nextInt(5)))
  }

  /** A native tensor handle of a random kind (the caller frees it), or 0 when allocation failed. */
  private def randomTensorHandle(r: Random): Long = {
    val dims = Array.fill(r.nextInt(3))(Seq(0L, 1L, 2L, 3L, 4L)(r.nextInt(5)))
    val elements = dims.product
    if (r.nextInt(5) == 0) {
      NativeBindings.tensorNewStrings(dims, Array.fill(elements.toInt)(randomBytes(r, r.nextInt(40))))
    } else {
      val dtype = Seq(1, 2, 3, 4, 5, 6, 9, 10)(r.nextInt(8))
      val size = elements * Map(1 -> 4, 2 -> 8, 3 -> 4, 4 -> 1, 5 -> 2, 6 -> 1, 9 -> 8, 10 -> 1)(dtype)
      val t = NativeBindings.tensorAllocate(dtype, dims, size)
      val data = NativeBindings.tensorData(t)
      while (data.hasRemaining) data.put(r.nextInt(256).toByte)
      NativeBindings.directBufferClear(data)
      t
    }
  }

  // ---- the cases ---------------------------------------------------------------------------

  private def graphDefCase(r: Random): Unit = {
    val bytes = mutate(r, graphDefs(r.nextInt(graphDefs.length)))
    Using.resource(Graph.fromGraphDef(bytes)) { g =>
      // The import worked: every query on what it made must work or fail cleanly too.
      for (op <- g.operations) {
        op.name; op.opType; op.numInputs
        for (i <- 0 until op.numOutputs) { val o = Output(op, i); o.dtypeCode; o.shape }
      }
      if (r.nextInt(3) == 0) Using.resource(Session(g, SessionConfig(1, 1)))(s => runMutated(r, g, s))
    }
  }

  /** Runs a mutated graph that imported: its placeholders fed random values, a few outputs fetched. */
  private def runMutated(r: Random, g: Graph, s: Session): Unit = {
    val ops = g.operations
    val feeds = ops.filter(_.opType == "Placeholder").map { p =>
      val out = p.output(0)
      val dims = if (out.shape.hasKnownRank) out.shape.dims.map(d => if (d < 0) 2L else d) else Array(2L)
      val shape = Shape.of(dims)
      val tensor =
        if (out.dtype == DType.TString) Tensor.ofStrings(Array.fill(shape.numElements.toInt)(randomBytes(r, 4)), shape)
        else Tensor.fromRawBytes(out.dtype, shape, randomBytes(r, (shape.numElements * out.dtype.byteSize).toInt))
      out -> tensor
    }
    try {
      val fetches = Seq.fill(1 + r.nextInt(2))(ops(r.nextInt(ops.size))).filter(_.numOutputs > 0).map(_.output(0))
      s.run(feeds, fetches).foreach(_.close())
    } finally feeds.foreach(_._2.close())
  }

  private def savedModelCase(r: Random, scratch: Scratch): Unit = {
    val source = Fixtures.path(if (r.nextBoolean()) "saved_model_two_sigs" else "saved_model_two_input")
    val dir = Files.createTempDirectory(scratch.dir, "sm")
    Files.walk(source).forEach { p =>
      val target = dir.resolve(source.relativize(p).toString)
      if (Files.isDirectory(p)) Files.createDirectories(target) else Files.copy(p, target)
    }
    val files = Seq("saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001")
    val victim = dir.resolve(files(r.nextInt(files.length)))
    r.nextInt(5) match {
      case 0 => Files.delete(victim)
      case 1 => Files.write(victim, Array.emptyByteArray)
      case _ => Files.write(victim, mutate(r, Files.readAllBytes(victim)))
    }
    val tags = if (r.nextInt(5) == 0) Seq(randomName(r)) else Seq(SavedModel.ServeTag)
    Using.resource(SavedModel.load(dir.toString, tags, SessionConfig(1, 1))) { m =>
      m.signatures.keys.foreach(k => m.signature(k))
    }
  }

  private def feedCase(r: Random, scratch: Scratch): Unit = {
    val ops = scratch.ops
    def op(): Long = if (r.nextInt(30) == 0) 0L else ops(r.nextInt(ops.length)).handle
    def index(): Int = if (r.nextInt(6) == 0) r.nextInt(5) - 2 else 0
    // Half the runs are add.pb's own (a, b: float32 [n, 3] -> z) with one thing wrong, if any.
    val wellFormed = r.nextBoolean()
    val nFeeds = if (wellFormed) 2 else r.nextInt(4)
    val rows = r.nextInt(4).toLong
    val wrong = if (wellFormed) r.nextInt(4) else -1
    val tensors = Array.tabulate(nFeeds) { i =>
      if (wellFormed && i != wrong) {
        val t = NativeBindings.tensorAllocate(DType.Float32.code, Array(rows, 3L), rows * 12)
        val data = NativeBindings.tensorData(t)
        while (data.hasRemaining) data.putFloat(r.nextFloat())
        NativeBindings.directBufferClear(data)
        t
      } else randomTensorHandle(r)
    }
    try {
      def maybeShort[T](a: Array[T]): Array[T] = if (r.nextInt(15) == 0) a.drop(1) else a
      def named(name: String): Long = scratch.graph.operation(name).get.handle
      val feedOps = maybeShort(if (wellFormed) Array(named("a"), named("b")) else Array.fill(nFeeds)(op()))
      val feedIdx = maybeShort(Array.fill(nFeeds)(if (wellFormed) 0 else index()))
      val nFetches = if (wellFormed) 1 else r.nextInt(3)
      val fetchOps = if (wellFormed) Array(named("z")) else Array.fill(nFetches)(op())
      val fetchIdx = maybeShort(Array.fill(nFetches)(index()))
      val targets = Array.fill(r.nextInt(2))(op())
      val out = if (r.nextInt(20) == 0) null else new Array[Long](nFetches)
      NativeBindings.sessionRun(scratch.session, feedOps, feedIdx,
        if (r.nextInt(25) == 0) null else tensors, fetchOps, fetchIdx, targets, out)
      // A successful run fetched tensors the caller owns: read them as a caller would, then free.
      if (out != null) for (h <- out if h != 0L) {
        try {
          NativeBindings.tensorShape(h)
          if (NativeBindings.tensorType(h) == 7) NativeBindings.tensorStrings(h)
          else NativeBindings.directBufferClear(NativeBindings.tensorData(h))
        } finally NativeBindings.tensorDelete(h)
      }
    } finally tensors.foreach(NativeBindings.tensorDelete)
  }

  private def tensorCase(r: Random): Unit = {
    val dims = randomDims(r)
    if (r.nextInt(4) == 0) {
      val n = if (r.nextInt(3) == 0) r.nextInt(6) else math.max(0L, math.min(dims.product, 64L)).toInt
      val values: Array[Array[Byte]] =
        if (r.nextInt(20) == 0) null
        else Array.fill(n)(if (r.nextInt(20) == 0) null else randomBytes(r, r.nextInt(100)))
      val t = NativeBindings.tensorNewStrings(dims, values)
      try {
        NativeBindings.tensorStrings(t)
        if (r.nextBoolean()) NativeBindings.tensorData(t) // not fixed-size: refused
      } finally NativeBindings.tensorDelete(t)
    } else {
      val dtype = randomDtype(r)
      val exact = dims.foldLeft(BigInt(1))(_ * _) * BigInt(math.max(1, Seq(4, 8, 1, 2)(r.nextInt(4))))
      val byteSize = r.nextInt(6) match {
        case 0 => -1L
        case 1 => exact.toLong + 1
        case 2 => r.nextLong()
        case _ => exact.toLong
      }
      val t = NativeBindings.tensorAllocate(dtype, dims, byteSize)
      try {
        NativeBindings.tensorType(t); NativeBindings.tensorShape(t); NativeBindings.tensorByteSize(t)
        NativeBindings.tensorAddress(t)
        val data = NativeBindings.tensorData(t)
        if (data.capacity > 0) data.put(data.capacity - 1, 1.toByte)
        NativeBindings.directBufferClear(data)
        if (r.nextBoolean()) NativeBindings.tensorStrings(t) // not a string tensor: refused
      } finally NativeBindings.tensorDelete(t)
    }
  }

  private def namesCase(r: Random, scratch: Scratch): Unit = {
    val g = scratch.graph
    r.nextInt(5) match {
      case 0 => NativeBindings.graphOperation(g.handle, randomName(r))
      case 1 => g.output(randomName(r))
      case 2 =>
        val op = scratch.ops(r.nextInt(scratch.ops.length))
        val i = r.nextInt(7) - 3
        if (r.nextBoolean()) NativeBindings.operationOutputType(op.handle, i)
        else NativeBindings.operationOutputShape(g.handle, op.handle, i)
      case 3 => NativeBindings.operationAttrType(scratch.ops(r.nextInt(scratch.ops.length)).handle, randomName(r))
      case _ =>
        Using.resources(Tensor.ofFloats(new Array[Float](3), Shape(1, 3)), Session(g, SessionConfig(1, 1))) {
          (t, s) => s.run(Map(randomName(r) -> t), Seq(randomName(r))).foreach(_.close())
        }
    }
  }

  private val opTypes = Seq("Placeholder", "Const", "AddV2", "Identity", "Reshape", "MatMul", "Cast", "Pack",
    "ConcatV2", "NoSuchOp", "", "Fill", "StridedSlice")
  private val attrNames = Seq("dtype", "T", "shape", "value", "N", "axis", "DstT", "SrcT", "transpose_a", "Tshape",
    "", "_class", "x\u0000")

  private def opBuilderCase(r: Random, scratch: Scratch): Unit = {
    val g = scratch.opGraph
    val existing = g.operations
    val name = r.alphanumeric.take(1 + r.nextInt(4)).mkString
    val d = NativeBindings.opBuilderNew(g.handle, opTypes(r.nextInt(opTypes.length)), name)
    var finished = false
    try {
      for (_ <- 0 until r.nextInt(5)) {
        val attr = attrNames(r.nextInt(attrNames.length))
        r.nextInt(9) match {
          case 0 => NativeBindings.opBuilderSetAttrType(d, attr, DType.all(r.nextInt(DType.all.length)).code)
          case 1 => NativeBindings.opBuilderSetAttrType(d, attr, randomDtype(r))
          case 2 => NativeBindings.opBuilderSetAttrShape(d, attr,
              if (r.nextInt(4) == 0) null else Array.fill(r.nextInt(4))(r.nextInt(6).toLong - 3))
          case 3 => NativeBindings.opBuilderSetAttrInt(d, attr, r.nextLong() % 8)
          case 4 => NativeBindings.opBuilderSetAttrIntList(d, attr, Array.fill(r.nextInt(4))(r.nextLong() % 5))
          case 5 => NativeBindings.opBuilderSetAttrBool(d, attr, r.nextBoolean())
          case 6 => NativeBindings.opBuilderSetAttrFloat(d, attr, r.nextFloat())
          case 7 =>
            val h = randomTensorHandle(r)
            try NativeBindings.opBuilderSetAttrTensor(d, attr, h)
            finally NativeBindings.tensorDelete(h)
          case _ => NativeBindings.opBuilderSetAttrString(d, attr, randomBytes(r, r.nextInt(10)))
        }
      }
      for (_ <- 0 until r.nextInt(3) if existing.nonEmpty) {
        val op = existing(r.nextInt(existing.length))
        if (r.nextBoolean()) NativeBindings.opBuilderAddInput(d, op.handle, r.nextInt(4) - 1)
        else NativeBindings.opBuilderAddControlInput(d, op.handle)
      }
      if (r.nextInt(3) > 0) {
        finished = true
        val op = new Operation(g, NativeBindings.opBuilderFinish(d))
        for (i <- 0 until op.numOutputs) { Output(op, i).shape; Output(op, i).dtypeCode }
      }
    } finally if (!finished) NativeBindings.opBuilderAbandon(d)
  }
}
