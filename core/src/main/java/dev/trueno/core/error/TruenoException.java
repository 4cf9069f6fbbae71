package dev.trueno.core.error;

/** The one exception type Trueno raises; the code says what kind of failure it is. */
public final class TruenoException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;

  /** An exception with a code and a message that says what failed, about what, and what to do. */
  public TruenoException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  /** An exception with a cause. */
  public TruenoException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The error code. */
  public ErrorCode code() {
    return code;
  }

  @Override
  public String getMessage() {
    return "[" + code + "] " + super.getMessage();
  }
}
