package io.sparkdl.ml

/**
 * How errors name a stage: "TFTransformer TFTransformer_1a2b3c4d5e6f". The kind is the one its
 * uid was made for when the uid is a random one (Spark's and PySpark's are "<Kind>_<12 hex>"), so
 * a stage run for another keeps the user's name: a Python class over this Scala stage
 * (KerasEstimator over TFEstimator), or an outer stage running it inside under its own uid
 * (DeepImagePredictor over TFImageTransformer). Otherwise the class names it.
 *
 * Every stage's own uids are "<ClassName>_<12 hex>", as PySpark's. Stages saved by older sparkdl
 * versions keep the uids they were saved with ("deepImageFeaturizer_..."): they load as they are,
 * and errors name their kind by the class: "DeepImageFeaturizer deepImageFeaturizer_...".
 */
private[ml] object StageName {
  private val RandomUid = "(.+)_[0-9a-f]{12}".r

  // The uid prefixes older versions gave, lowercase first, and the kinds they meant.
  private val Legacy =
    Map("deepImageFeaturizer" -> "DeepImageFeaturizer", "deepImagePredictor" -> "DeepImagePredictor")

  def apply(uid: String, stageClass: Class[_]): String = s"${kind(uid, stageClass)} $uid"

  def kind(uid: String, stageClass: Class[_]): String = uid match {
    case RandomUid(kind) => Legacy.getOrElse(kind, kind)
    case _ => stageClass.getSimpleName
  }
}
