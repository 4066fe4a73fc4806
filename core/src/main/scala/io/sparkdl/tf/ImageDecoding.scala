package io.sparkdl.tf

/**
 * TF's own image decoders (the kernels of `tf.io.decode_jpeg`, `decode_png`, `decode_gif`,
 * `decode_bmp`: libjpeg-turbo, libpng, giflib) as one small graph with one session, run through
 * the bridge. Thread-safe: each [[decode]] is one session run, executed on the calling thread
 * (no op pool to queue behind), one thread per op, so concurrent tasks decode in parallel.
 *
 * JPEGs are decoded with `dct_method = "INTEGER_ACCURATE"` (libjpeg's `JDCT_ISLOW`) and fancy
 * upsampling, as Pillow decodes them: the two give the same pixels (measured on baseline and
 * progressive JPEGs, 4:4:4, 4:2:2 and 4:2:0, qualities 75 to 95, gray and CMYK), where TF's
 * default (`INTEGER_FAST`) differs by up to 4 levels on two pixels of three. CMYK and YCCK JPEGs
 * come out as RGB, converted by TF as Pillow's `convert("RGB")` does.
 *
 * What a file's bytes hold is for the caller to know: this knows no formats beyond TF's ops. (TF
 * 2's decode ops each read any of the four formats, but only `jpeg` sets the DCT method: the
 * caller picks the codec of the file's format.) A file an op cannot decode (corrupt, truncated)
 * is a [[TfException]] of that run alone.
 */
final class ImageDecoding private (graph: Graph, session: Session) extends AutoCloseable {
  import ImageDecoding._

  private val input = graph.output(InputName)
  private val runs: Map[Codec, PreparedRun] =
    Codec.all.map(c => c -> session.prepare(Seq(input), Seq(graph.output(c.opName)))).toMap

  /**
   * The pixels of `bytes` decoded by `codec`: height x width x channels samples, row-major,
   * channels as [[Codec]] says. GIFs give their frames stacked: frames x height x width x 3.
   */
  def decode(codec: Codec, bytes: Array[Byte]): DecodedPixels = {
    val contents = Tensor.ofStrings(Array(bytes), Shape.scalar)
    val out =
      try runs(codec).run(Array(contents))(0)
      finally contents.close()
    try {
      val dims = out.shape.dims
      val data = out.rawBytes()
      DecodedPixels(dims.map(Math.toIntExact).toIndexedSeq, out.dtype.byteSize, data)
    } finally out.close()
  }

  def isClosed: Boolean = session.isClosed

  override def close(): Unit =
    try session.close()
    finally graph.close()
}

/** Decoded samples: `shape` as TF gives it, `bytesPerSample` 1 (uint8) or 4 (int32 holding
 * 16-bit samples, little endian). */
final case class DecodedPixels(shape: IndexedSeq[Int], bytesPerSample: Int, data: Array[Byte])

object ImageDecoding {

  private val InputName = "contents"
  private val UInt16 = 17 // TF_UINT16, only inside the graph

  /** One decode op of the graph. */
  sealed abstract class Codec(val opName: String)
  object Codec {
    /** JPEG: 1 channel for gray files, else 3 in BGR order (CMYK and YCCK converted). */
    case object Jpeg extends Codec("jpeg")
    /** PNG, 8 bits a sample (16-bit files keep their high byte): the file's channels, in its
     * order (gray, gray + alpha, RGB, RGBA). */
    case object Png extends Codec("png")
    /** PNG, 16 bits a sample as int32 (8-bit files scaled by 257): the file's channels. */
    case object Png16 extends Codec("png16")
    /** GIF: every frame, BGR. */
    case object Gif extends Codec("gif")
    /** BMP: uncompressed 24 and 32 bits a pixel (RGB, RGBA order). */
    case object Bmp extends Codec("bmp")
    val all: Seq[Codec] = Seq(Jpeg, Png, Png16, Gif, Bmp)
  }

  /** A new graph of the decoders, with its session; the caller closes it. */
  def apply(): ImageDecoding = {
    val graph = Graph()
    try {
      val contents = graph.opBuilder("Placeholder", InputName)
        .setAttr("dtype", DType.TString).setAttr("shape", Shape.scalar).build().output(0)
      // JPEG and GIF give 1 or 3 channels: reversed on the last axis, RGB comes out BGR (the
      // image struct's order) and gray as it is, so the caller takes the bytes as they come.
      val lastAxis = {
        val axis = Tensor.ofInts(Array(-1), Shape(1))
        try graph.opBuilder("Const", "last_axis").setAttr("dtype", DType.Int32).setAttr("value", axis).build()
        finally axis.close()
      }.output(0)
      def reversed(name: String, image: Output): Unit =
        graph.opBuilder("ReverseV2", name).addInput(image).addInput(lastAxis).build()
      reversed(Codec.Jpeg.opName, graph.opBuilder("DecodeJpeg", "jpeg_rgb").addInput(contents)
        .setAttr("channels", 0L).setAttr("ratio", 1L).setAttr("fancy_upscaling", true)
        .setAttr("try_recover_truncated", false).setAttr("acceptable_fraction", 1.0f)
        .setAttr("dct_method", "INTEGER_ACCURATE").build().output(0))
      graph.opBuilder("DecodePng", Codec.Png.opName).addInput(contents)
        .setAttr("channels", 0L).setAttr("dtype", DType.UInt8).build()
      // uint16 is no dtype the bridge carries: the samples cross as int32.
      val png16 = graph.opBuilder("DecodePng", "png_uint16").addInput(contents)
        .setAttr("channels", 0L).setAttrTypeCode("dtype", UInt16).build().output(0)
      graph.opBuilder("Cast", Codec.Png16.opName).addInput(png16)
        .setAttrTypeCode("SrcT", UInt16).setAttr("DstT", DType.Int32).setAttr("Truncate", false).build()
      reversed(Codec.Gif.opName, graph.opBuilder("DecodeGif", "gif_rgb").addInput(contents).build().output(0))
      graph.opBuilder("DecodeBmp", Codec.Bmp.opName).addInput(contents).setAttr("channels", 0L).build()
      // Each run on its caller's thread, one thread an op: tasks are the parallelism.
      val session = Session(graph, SessionConfig(intraOpThreads = 1, interOpThreads = -1))
      try new ImageDecoding(graph, session)
      catch { case e: Throwable => session.close(); throw e }
    } catch {
      case e: Throwable => graph.close(); throw e
    }
  }

  private var current: ImageDecoding = _

  /** The decoders of this JVM, made on first use and kept (a few KB of graph) until
   * [[closeShared]]. */
  def shared: ImageDecoding = synchronized {
    if (current == null) current = ImageDecoding()
    current
  }

  /**
   * [[decode]] on the [[shared]] decoders; a decode that finds them closed by [[closeShared]]
   * between taking and running them runs again on new ones (a close is no decode's failure).
   */
  def decodeShared(codec: Codec, bytes: Array[Byte]): DecodedPixels = decodeOn(shared, codec, bytes)

  private[tf] def decodeOn(decoders: ImageDecoding, codec: Codec, bytes: Array[Byte]): DecodedPixels =
    try decoders.decode(codec, bytes)
    catch { case _: IllegalStateException if decoders.isClosed => shared.decode(codec, bytes) }

  /** Closes the shared decoders (after the runs in flight); the next [[shared]] makes new ones. */
  def closeShared(): Unit = synchronized {
    if (current != null) {
      try current.close()
      finally current = null
    }
  }
}
