package io.sparkdl.jni;

/**
 * A TensorFlow error raised by native code: {@code code} is the {@code TF_Code}. The {@code
 * io.sparkdl.tf} layer turns it into the matching {@code TfException} subclass.
 */
public final class NativeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int code;

  public NativeException(int code, String message) {
    super(message);
    this.code = code;
  }

  /** The {@code TF_Code}: 3 INVALID_ARGUMENT, 5 NOT_FOUND, 13 INTERNAL, ... */
  public int code() {
    return code;
  }
}
