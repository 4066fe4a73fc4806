package io.sparkdl.image

import java.util.concurrent.ConcurrentHashMap

import io.sparkdl.image.ResizeMethod.{Filter, Nearest}

/**
 * Resizes `height x width x channels` arrays the way Pillow's `Image.resize` does, so images
 * resized here feed a model the same pixels as the Python preprocessing it was trained with.
 *
 * What is Pillow's and kept exactly:
 *  - filters are applied separably, horizontal pass first, then vertical (except where Pillow 13
 *    runs the vertical pass first, see `verticalFirst`); a dimension that keeps its size is not
 *    filtered;
 *  - output pixel `i` is centred at `(i + 0.5) * scale` in the input (`scale = in / out`); on
 *    downscale the filter's support and argument are scaled by `scale`, weights are normalized to
 *    sum to 1 and cut at the image's borders;
 *  - `uint8` samples are weighted in 22-bit fixed point and rounded and clamped after each pass;
 *    `float32` samples in double precision, stored as float after each pass;
 *  - 4-channel `uint8` images are resized with premultiplied alpha (Pillow's RGBA -> RGBa -> RGBA,
 *    including its integer rounding), except by `nearest`;
 *  - `nearest` picks input `floor((i + 0.5) * scale)`, the position accumulated as Pillow does.
 *
 * Weight tables depend only on (input size, output size, method): they are built once per JVM and
 * shared (a few hundred bytes each), so a partition of images of one size computes them once.
 */
private[image] object Resampler {

  private final val PrecisionBits = 32 - 8 - 2
  private final val Half = 1 << (PrecisionBits - 1)

  /**
   * The weights of one pass: output `i` reads `count(i)` inputs from `first(i)` on, with weights
   * `coeffs(i * ksize + k)` (and `fixed`, the same in 22-bit fixed point). For `nearest`, `first`
   * is the one input read and `count` is 1.
   */
  final class Weights(
      val first: Array[Int],
      val count: Array[Int],
      val ksize: Int,
      val coeffs: Array[Double],
      val fixed: Array[Int]
  )

  private val cache = new ConcurrentHashMap[(Int, Int, ResizeMethod), Weights]()
  private final val CacheLimit = 1024

  def weights(inSize: Int, outSize: Int, method: ResizeMethod): Weights = {
    val key = (inSize, outSize, method)
    val cached = cache.get(key)
    if (cached != null) cached
    else {
      if (cache.size >= CacheLimit) cache.clear() // many distinct sizes: start over, stay small
      val w = method match {
        case f: Filter => filterWeights(inSize, outSize, f)
        case Nearest => nearestWeights(inSize, outSize)
      }
      cache.putIfAbsent(key, w)
      w
    }
  }

  private def filterWeights(inSize: Int, outSize: Int, filter: Filter): Weights = {
    val scale = inSize.toFloat.toDouble / outSize // Pillow's box is float
    val filterScale = math.max(scale, 1.0)
    val support = filter.support * filterScale
    val ksize = math.ceil(support).toInt * 2 + 1
    val first = new Array[Int](outSize)
    val count = new Array[Int](outSize)
    val coeffs = new Array[Double](outSize * ksize)
    val fixed = new Array[Int](outSize * ksize)
    val ss = 1.0 / filterScale
    var i = 0
    while (i < outSize) {
      val center = (i + 0.5) * scale
      val lo = math.max((center - support + 0.5).toInt, 0)
      val hi = math.min((center + support + 0.5).toInt, inSize)
      val n = hi - lo
      val base = i * ksize
      var total = 0.0
      var k = 0
      while (k < n) {
        val w = filter((k + lo - center + 0.5) * ss)
        coeffs(base + k) = w
        total += w
        k += 1
      }
      k = 0
      while (k < n) {
        if (total != 0.0) coeffs(base + k) /= total
        val c = coeffs(base + k) * (1 << PrecisionBits)
        fixed(base + k) = (if (c < 0) c - 0.5 else c + 0.5).toInt
        k += 1
      }
      first(i) = lo
      count(i) = n
      i += 1
    }
    new Weights(first, count, ksize, coeffs, fixed)
  }

  private def nearestWeights(inSize: Int, outSize: Int): Weights = {
    val step = inSize.toFloat.toDouble / outSize
    val first = new Array[Int](outSize)
    var pos = step * 0.5
    var i = 0
    while (i < outSize) {
      first(i) = math.min(if (pos < 0) 0 else pos.toInt, inSize - 1)
      pos += step
      i += 1
    }
    new Weights(first, Array.fill(outSize)(1), 1, Array.fill(outSize)(1.0), Array.empty)
  }

  /** One pass of a resize: rows `from until until` filtered across, or every row filtered down
   * (over rows of `rowWidth` pixels). */
  private sealed trait Pass
  private final case class Horizontal(from: Int, until: Int, weights: Weights) extends Pass
  private final case class Vertical(rowWidth: Int, weights: Weights) extends Pass

  /** The passes that resize `height x width` to `outHeight x outWidth`, in Pillow's order. */
  private def passes(height: Int, width: Int, outHeight: Int, outWidth: Int, method: ResizeMethod): Seq[Pass] = {
    val vertical = if (outHeight != height) weights(height, outHeight, method) else null
    if (verticalFirst(height, width, outHeight, outWidth, method)) {
      Seq(Vertical(width, vertical), Horizontal(0, outHeight, weights(width, outWidth, method)))
    } else if (outWidth != width) {
      // Only the rows the vertical pass reads, as Pillow does.
      val (from, until) =
        if (vertical == null) (0, height)
        else (vertical.first(0), vertical.first(outHeight - 1) + vertical.count(outHeight - 1))
      val across = Horizontal(from, until, weights(width, outWidth, method))
      if (vertical == null) Seq(across) else Seq(across, Vertical(outWidth, shifted(vertical, from)))
    } else if (vertical != null) Seq(Vertical(width, vertical))
    else Seq.empty
  }

  /** `data` (`height x width x channels` uint8) resized to `outHeight x outWidth`. */
  def resizeBytes(
      data: Array[Byte],
      height: Int,
      width: Int,
      channels: Int,
      outHeight: Int,
      outWidth: Int,
      method: ResizeMethod
  ): Array[Byte] = {
    if (outHeight == height && outWidth == width) return data
    val premultiply = channels == 4 && method != Nearest
    val resized = passes(height, width, outHeight, outWidth, method).foldLeft(
      if (premultiply) premultiplied(data) else data
    ) {
      case (img, Horizontal(from, until, w)) => horizontalBytes(img, from, until, width, channels, outWidth, w)
      case (img, Vertical(rowWidth, w)) => verticalBytes(img, rowWidth, channels, outHeight, w)
    }
    if (premultiply) unpremultiply(resized)
    resized
  }

  /** `data` (`height x width x channels` float32) resized to `outHeight x outWidth`. */
  def resizeFloats(
      data: Array[Float],
      height: Int,
      width: Int,
      channels: Int,
      outHeight: Int,
      outWidth: Int,
      method: ResizeMethod
  ): Array[Float] = {
    if (outHeight == height && outWidth == width) return data
    passes(height, width, outHeight, outWidth, method).foldLeft(data) {
      case (img, Horizontal(from, until, w)) => horizontalFloats(img, from, until, width, channels, outWidth, w)
      case (img, Vertical(rowWidth, w)) => verticalFloats(img, rowWidth, channels, outHeight, w)
    }
  }

  private def verticalFirst(height: Int, width: Int, outHeight: Int, outWidth: Int, method: ResizeMethod): Boolean =
    method == ResizeMethod.Area && outHeight != height && outWidth != width &&
      (height - outHeight).toLong > 2L * (width - outWidth)

  private def shifted(w: Weights, by: Int): Weights =
    if (by == 0) w else new Weights(w.first.map(_ - by), w.count, w.ksize, w.coeffs, w.fixed)

  @inline private def clip8(ss: Int): Byte = {
    val v = ss >> PrecisionBits
    (if (v < 0) 0 else if (v > 255) 255 else v).toByte
  }

  private def horizontalBytes(
      in: Array[Byte],
      from: Int,
      until: Int,
      width: Int,
      channels: Int,
      outWidth: Int,
      w: Weights
  ): Array[Byte] = {
    val out = new Array[Byte]((until - from) * outWidth * channels)
    val nearest = w.fixed.isEmpty
    val fixed = w.fixed
    var y = from
    var o = 0
    while (y < until) {
      val row = y * width * channels
      var x = 0
      while (x < outWidth) {
        val lo = w.first(x)
        if (nearest) {
          System.arraycopy(in, row + lo * channels, out, o, channels)
          o += channels
        } else {
          val n = w.count(x)
          val kb = x * w.ksize
          var p = row + lo * channels
          var k = 0
          // Every channel of a pixel in one pass over the taps (as Pillow): the same integer
          // sums as channel by channel, at a third of the loop work for 3 channels.
          if (channels == 3) {
            var s0, s1, s2 = Half
            while (k < n) {
              val f = fixed(kb + k)
              s0 += (in(p) & 0xff) * f; s1 += (in(p + 1) & 0xff) * f; s2 += (in(p + 2) & 0xff) * f
              p += 3
              k += 1
            }
            out(o) = clip8(s0); out(o + 1) = clip8(s1); out(o + 2) = clip8(s2)
          } else if (channels == 4) {
            var s0, s1, s2, s3 = Half
            while (k < n) {
              val f = fixed(kb + k)
              s0 += (in(p) & 0xff) * f; s1 += (in(p + 1) & 0xff) * f
              s2 += (in(p + 2) & 0xff) * f; s3 += (in(p + 3) & 0xff) * f
              p += 4
              k += 1
            }
            out(o) = clip8(s0); out(o + 1) = clip8(s1); out(o + 2) = clip8(s2); out(o + 3) = clip8(s3)
          } else {
            var c = 0
            while (c < channels) {
              var ss = Half
              k = 0
              var q = p + c
              while (k < n) {
                ss += (in(q) & 0xff) * fixed(kb + k)
                q += channels
                k += 1
              }
              out(o + c) = clip8(ss)
              c += 1
            }
          }
          o += channels
        }
        x += 1
      }
      y += 1
    }
    out
  }

  private def verticalBytes(
      in: Array[Byte],
      width: Int,
      channels: Int,
      outHeight: Int,
      w: Weights
  ): Array[Byte] = {
    val rowLen = width * channels
    val out = new Array[Byte](outHeight * rowLen)
    val nearest = w.fixed.isEmpty
    // Sums of a whole output row, tap by tap: the input rows are read in order (not a column
    // at a time, a row apart), and the integer sums are the same in any order.
    val sums = if (nearest) null else new Array[Int](rowLen)
    var y = 0
    while (y < outHeight) {
      val lo = w.first(y)
      if (nearest) System.arraycopy(in, lo * rowLen, out, y * rowLen, rowLen)
      else {
        val n = w.count(y)
        val kb = y * w.ksize
        java.util.Arrays.fill(sums, Half)
        var k = 0
        while (k < n) {
          val f = w.fixed(kb + k)
          val p = (lo + k) * rowLen
          var i = 0
          while (i < rowLen) {
            sums(i) += (in(p + i) & 0xff) * f
            i += 1
          }
          k += 1
        }
        val o = y * rowLen
        var i = 0
        while (i < rowLen) {
          out(o + i) = clip8(sums(i))
          i += 1
        }
      }
      y += 1
    }
    out
  }

  private def horizontalFloats(
      in: Array[Float],
      from: Int,
      until: Int,
      width: Int,
      channels: Int,
      outWidth: Int,
      w: Weights
  ): Array[Float] = {
    val out = new Array[Float]((until - from) * outWidth * channels)
    var y = from
    var o = 0
    while (y < until) {
      val row = y * width * channels
      var x = 0
      while (x < outWidth) {
        val lo = w.first(x)
        val n = w.count(x)
        val kb = x * w.ksize
        var c = 0
        while (c < channels) {
          var ss = 0.0
          var k = 0
          var p = row + lo * channels + c
          while (k < n) {
            ss += in(p) * w.coeffs(kb + k)
            p += channels
            k += 1
          }
          out(o) = ss.toFloat
          o += 1
          c += 1
        }
        x += 1
      }
      y += 1
    }
    out
  }

  private def verticalFloats(
      in: Array[Float],
      width: Int,
      channels: Int,
      outHeight: Int,
      w: Weights
  ): Array[Float] = {
    val rowLen = width * channels
    val out = new Array[Float](outHeight * rowLen)
    var y = 0
    while (y < outHeight) {
      val lo = w.first(y)
      val n = w.count(y)
      val kb = y * w.ksize
      var i = 0
      while (i < rowLen) {
        var ss = 0.0
        var k = 0
        var p = lo * rowLen + i
        while (k < n) {
          ss += in(p) * w.coeffs(kb + k)
          p += rowLen
          k += 1
        }
        out(y * rowLen + i) = ss.toFloat
        i += 1
      }
      y += 1
    }
    out
  }

  // Pillow's RGBA -> RGBa: c * a / 255, rounded as its MULDIV255 does.
  private def premultiplied(in: Array[Byte]): Array[Byte] = {
    val out = new Array[Byte](in.length)
    var i = 0
    while (i < in.length) {
      val a = in(i + 3) & 0xff
      var c = 0
      while (c < 3) {
        val t = (in(i + c) & 0xff) * a + 128
        out(i + c) = (((t >> 8) + t) >> 8).toByte
        c += 1
      }
      out(i + 3) = in(i + 3)
      i += 4
    }
    out
  }

  // Pillow's RGBa -> RGBA, in place: c * 255 / a, truncated and clamped; a = 0 or 255 unchanged.
  private def unpremultiply(img: Array[Byte]): Unit = {
    var i = 0
    while (i < img.length) {
      val a = img(i + 3) & 0xff
      if (a != 0 && a != 255) {
        var c = 0
        while (c < 3) {
          img(i + c) = math.min(255 * (img(i + c) & 0xff) / a, 255).toByte
          c += 1
        }
      }
      i += 4
    }
  }
}
