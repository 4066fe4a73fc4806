package io.sparkdl.model

/** Column names as Spark SQL parses them. */
private[sparkdl] object ColumnNames {

  /** `name` as a reference to the one column of that name, however it is spelled: dots and
   * backticks in it are not read as nesting or quoting (`a.b` -> `` `a.b` ``). */
  def quote(name: String): String = s"`${name.replace("`", "``")}`"
}
