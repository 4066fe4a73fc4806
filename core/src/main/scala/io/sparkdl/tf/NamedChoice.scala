package io.sparkdl.tf

/** Reads one of a fixed set of named choices (a setting's values) from a user's string. */
private[sparkdl] object NamedChoice {

  /** The choice in `all` named `value` (case-insensitive, trimmed); else an error saying that
   * `what` (the setting) has an unknown `kind` and listing the names. */
  def parse[T](value: String, all: Seq[T], name: T => String, kind: String, what: String): T =
    all.find(c => name(c).equalsIgnoreCase(Option(value).getOrElse("").trim)).getOrElse {
      throw new IllegalArgumentException(
        s"$what: unknown $kind '$value'; expected one of ${all.map(c => s"'${name(c)}'").mkString(", ")}"
      )
    }
}
