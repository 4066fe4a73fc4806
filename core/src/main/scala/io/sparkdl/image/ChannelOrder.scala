package io.sparkdl.image

/**
 * The order of the channels of an image array as a model or a caller sees it. The image struct
 * itself always stores BGR(A) (OpenCV's order); [[ImageArray]] converts between the two.
 *
 *  - `RGB`: red, green, blue (then alpha, for 4 channels); a 1-channel image is left as it is.
 *  - `BGR`: the struct's own order; a 1-channel image is left as it is.
 *  - `L`: one gray channel; only 1-channel images have it.
 */
sealed abstract class ChannelOrder(val name: String) {
  override def toString: String = name
}

object ChannelOrder {
  case object RGB extends ChannelOrder("RGB")
  case object BGR extends ChannelOrder("BGR")
  case object L extends ChannelOrder("L")

  val all: Seq[ChannelOrder] = Seq(RGB, BGR, L)

  /** The order named `name` (case-insensitive); `what` names the parameter in the error. */
  def fromName(name: String, what: String = "channel order"): ChannelOrder =
    all.find(_.name.equalsIgnoreCase(name)).getOrElse(
      throw new IllegalArgumentException(
        s"$what '$name' is not supported; expected one of ${all.mkString(", ")}"
      )
    )
}
