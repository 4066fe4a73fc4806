package io.sparkdl.image

/**
 * How [[ImageResize]] computes a pixel of the resized image, each as Pillow's `Image.resize` with
 * the filter of the same name. Downscaling widens the filters by the scale factor (Pillow's
 * antialiasing), so every input pixel contributes.
 *
 *  - `area` (the default): the mean of the input area under each output pixel (Pillow's `BOX`,
 *    the area averaging of the original sparkdl featurizer).
 *  - `bilinear`: a triangle filter (Pillow's `BILINEAR`).
 *  - `bicubic`: Keys' cubic convolution with a = -0.5 (Pillow's `BICUBIC`).
 *  - `nearest`: the input pixel under each output pixel's center (Pillow's `NEAREST`).
 *
 * `area` equals Pillow 13.0 pixel for pixel at every size tested (python/tests/
 * test_resize_pillow.py). `bilinear` and `bicubic` equal Pillow's horizontal-then-vertical
 * passes (all Pillow versions up to 12.3); Pillow 13.0 runs the vertical pass first for some size
 * pairs (38 of 100 random ones) by a rule not reproduced here, and then differs by up to a few
 * levels (bicubic: up to ~17, its negative lobes clip differently between the passes).
 */
sealed abstract class ResizeMethod(val name: String) {
  override def toString: String = name
}

object ResizeMethod {

  /** A separable convolution filter: its kernel and its support (radius) at scale 1. */
  private[image] sealed abstract class Filter(name: String, val support: Double)
      extends ResizeMethod(name) {
    def apply(x: Double): Double
  }

  case object Area extends Filter("area", 0.5) {
    def apply(x: Double): Double = if (x > -0.5 && x <= 0.5) 1.0 else 0.0
  }

  case object Bilinear extends Filter("bilinear", 1.0) {
    def apply(x: Double): Double = { val a = math.abs(x); if (a < 1.0) 1.0 - a else 0.0 }
  }

  case object Bicubic extends Filter("bicubic", 2.0) {
    private final val A = -0.5
    def apply(x: Double): Double = {
      val a = math.abs(x)
      if (a < 1.0) ((A + 2.0) * a - (A + 3.0)) * a * a + 1
      else if (a < 2.0) (((a - 5) * a + 8) * a - 4) * A
      else 0.0
    }
  }

  case object Nearest extends ResizeMethod("nearest")

  val default: ResizeMethod = Area

  val all: Seq[ResizeMethod] = Seq(Area, Bilinear, Bicubic, Nearest)

  /** The method named `name` (case-insensitive); `what` names the parameter in the error. */
  def fromName(name: String, what: String = "resize method"): ResizeMethod =
    all.find(_.name.equalsIgnoreCase(name)).getOrElse(
      throw new IllegalArgumentException(
        s"$what '$name' is not supported; expected one of ${all.mkString(", ")}"
      )
    )
}
