package io.sparkdl.codegen

import java.io.File
import java.lang.reflect.{Method, Modifier, ParameterizedType}
import java.util.zip.ZipFile

import scala.jdk.CollectionConverters._
import scala.util.Using

import org.apache.spark.ml.{Estimator, Model, PipelineStage}
import org.apache.spark.ml.param.Param
import org.apache.spark.sql.Dataset

/** A Spark ML stage found among compiled classes, instantiated so its params can be read. */
final case class StageClass(cls: Class[_ <: PipelineStage], instance: PipelineStage) {
  def name: String = cls.getName
  def simpleName: String = cls.getSimpleName
  def packageName: String = cls.getPackageName

  /** Whether `new X(uid)` exists, so the Python wrapper can share its uid with the JVM stage. */
  def hasUidConstructor: Boolean =
    cls.getConstructors.exists(c => c.getParameterTypes.sameElements(Array(classOf[String])))

  /**
   * Each param with the public accessor that returns it, in name order: every public no-argument
   * method returning a Param (Spark's own `Params.params` finds them the same way).
   */
  def paramAccessors: Seq[(Method, Param[_])] =
    cls.getMethods.toSeq
      .filter(m => m.getParameterCount == 0 && classOf[Param[_]].isAssignableFrom(m.getReturnType))
      .filter(m => Modifier.isPublic(m.getModifiers) && !Modifier.isStatic(m.getModifiers))
      .map(m => m -> m.invoke(instance).asInstanceOf[Param[_]])
      .sortBy(_._1.getName)

  def isEstimator: Boolean = classOf[Estimator[_]].isAssignableFrom(cls)
  def isModel: Boolean = classOf[Model[_]].isAssignableFrom(cls)

  /**
   * The class an estimator's `fit(Dataset)` returns: the most specific return type among its
   * `fit(Dataset)` methods (Scala's covariant override leaves a bridge returning `Model`), or
   * else the `M` it binds in `Estimator[M]`. None for a stage that is not an estimator.
   */
  def fittedModel: Option[Class[_]] = if (!isEstimator) None else {
    val fits = cls.getMethods.toSeq.filter { m =>
      m.getName == "fit" && m.getParameterTypes.sameElements(Array(classOf[Dataset[_]]))
    }
    val returned = fits.map(_.getReturnType).filter(classOf[Model[_]].isAssignableFrom)
    val specific = returned.find(r => returned.forall(_.isAssignableFrom(r)))
    specific.filter(_ != classOf[Model[_]]).orElse(boundModel).orElse {
      throw new IllegalArgumentException(
        s"$name: cannot tell which Model its fit(Dataset) returns (found " +
          s"${returned.map(_.getName).distinct.mkString(", ")}); declare the return type"
      )
    }
  }

  /** The `M` of `Estimator[M]` among the superclasses, when it is a class. */
  private def boundModel: Option[Class[_]] =
    Iterator.iterate[Class[_]](cls)(_.getSuperclass).takeWhile(_ != null)
      .map(_.getGenericSuperclass)
      .collectFirst {
        case p: ParameterizedType if p.getRawType == classOf[Estimator[_]] =>
          p.getActualTypeArguments.head
      }
      .collect { case c: Class[_] if c != classOf[Model[_]] => c }

  /** The type argument of the accessor's declared `Param[T]` (`String` for `Param[String]`). */
  def typeArgument(accessor: Method): Option[java.lang.reflect.Type] =
    accessor.getGenericReturnType match {
      case p: ParameterizedType => p.getActualTypeArguments.headOption
      case _ => None
    }
}

/**
 * Finds every public concrete [[PipelineStage]] in a package among compiled classes (a classes
 * directory or a jar): the stages Python must mirror. Nothing is skipped silently: a stage that
 * cannot be loaded or instantiated fails the scan, naming the class.
 */
object StageCatalog {

  /** Stages in `packageName` and its sub-packages under `root`, by class name. */
  def discover(root: File, packageName: String, loader: ClassLoader): Seq[StageClass] = {
    val prefix = packageName.replace('.', '/') + "/"
    val names = classFiles(root)
      .filter(f => f.startsWith(prefix) && !f.contains("$")) // no companions, anonymous, inner
      .map(_.stripSuffix(".class").replace('/', '.'))
    names.sorted.flatMap { name =>
      val cls = Class.forName(name, false, loader)
      if (!isStage(cls)) None
      else Some(StageClass(cls.asSubclass(classOf[PipelineStage]), instantiate(cls)))
    }
  }

  private def isStage(cls: Class[_]): Boolean =
    classOf[PipelineStage].isAssignableFrom(cls) && Modifier.isPublic(cls.getModifiers) &&
      !Modifier.isAbstract(cls.getModifiers) && !cls.isInterface

  /**
   * A stage made with `new X()`, or for a model (made by its estimator, with its fitted state)
   * also `new X(uid)`: the instance is only asked for its params and their defaults.
   */
  private def instantiate(cls: Class[_]): PipelineStage = {
    val constructors = cls.getConstructors.toSeq
    val noArg = constructors.find(_.getParameterCount == 0).map(_.newInstance())
    def uidOnly = constructors
      .find(c => c.getParameterTypes.sameElements(Array(classOf[String])))
      .filter(_ => classOf[Model[_]].isAssignableFrom(cls))
      .map(_.newInstance("codegen"))
    noArg.orElse(uidOnly).getOrElse {
      throw new IllegalStateException(
        if (classOf[Model[_]].isAssignableFrom(cls)) {
          s"${cls.getName} is a public Model without a public no-argument or uid " +
            "constructor; the Python wrappers read its params from `new X()` or `new X(uid)`"
        } else {
          s"${cls.getName} is a public PipelineStage without a public no-argument " +
            "constructor; Spark ML's readers and the Python wrappers need `def this()`"
        }
      )
    }.asInstanceOf[PipelineStage]
  }

  private def classFiles(root: File): Seq[String] =
    if (root.isDirectory) {
      val base = root.toPath
      Using.resource(java.nio.file.Files.walk(base)) { paths =>
        paths.iterator.asScala
          .map(p => base.relativize(p).toString.replace(File.separatorChar, '/'))
          .filter(_.endsWith(".class"))
          .toList
      }
    } else if (root.isFile && root.getName.endsWith(".jar")) {
      Using.resource(new ZipFile(root)) { zip =>
        zip.entries.asScala.map(_.getName).filter(_.endsWith(".class")).toList
      }
    } else {
      throw new IllegalArgumentException(s"'$root' is neither a classes directory nor a jar")
    }
}
