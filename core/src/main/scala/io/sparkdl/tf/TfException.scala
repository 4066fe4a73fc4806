package io.sparkdl.tf

/**
 * A TensorFlow error. There is one subclass per `TF_Code`, so callers can catch, say, a
 * [[NotFoundException]] without parsing messages; [[TfException.of]] is the one place that maps
 * codes to classes.
 */
class TfException(val code: Int, message: String, cause: Throwable = null)
    extends RuntimeException(message, cause)

class CancelledException(message: String) extends TfException(1, message)
class UnknownException(message: String) extends TfException(2, message)
class InvalidArgumentException(message: String) extends TfException(3, message)
class DeadlineExceededException(message: String) extends TfException(4, message)
class NotFoundException(message: String) extends TfException(5, message)
class AlreadyExistsException(message: String) extends TfException(6, message)
class PermissionDeniedException(message: String) extends TfException(7, message)
class ResourceExhaustedException(message: String) extends TfException(8, message)
class FailedPreconditionException(message: String) extends TfException(9, message)
class AbortedException(message: String) extends TfException(10, message)
class OutOfRangeException(message: String) extends TfException(11, message)
class UnimplementedException(message: String) extends TfException(12, message)
class InternalException(message: String) extends TfException(13, message)
class UnavailableException(message: String) extends TfException(14, message)
class DataLossException(message: String) extends TfException(15, message)
class UnauthenticatedException(message: String) extends TfException(16, message)

object TfException {
  /** The exception for a `TF_Code` and message. */
  def of(code: Int, message: String): TfException = code match {
    case 1 => new CancelledException(message)
    case 3 => new InvalidArgumentException(message)
    case 4 => new DeadlineExceededException(message)
    case 5 => new NotFoundException(message)
    case 6 => new AlreadyExistsException(message)
    case 7 => new PermissionDeniedException(message)
    case 8 => new ResourceExhaustedException(message)
    case 9 => new FailedPreconditionException(message)
    case 10 => new AbortedException(message)
    case 11 => new OutOfRangeException(message)
    case 12 => new UnimplementedException(message)
    case 13 => new InternalException(message)
    case 14 => new UnavailableException(message)
    case 15 => new DataLossException(message)
    case 16 => new UnauthenticatedException(message)
    case _ => new UnknownException(message)
  }
}
