package dev.trueno.core.error;

/** Error codes of {@link TruenoException}, grouped by the kind of failure. */
public enum ErrorCode {
  /** A bad configuration value or call by the user. */
  INVALID_CONFIG(Kind.USER_ERROR),
  /** Integer or decimal overflow under ANSI mode (Spark's ARITHMETIC_OVERFLOW). */
  ARITHMETIC_OVERFLOW(Kind.USER_ERROR),
  /**
   * A decimal result that does not fit its type under ANSI mode (Spark's
   * NUMERIC_VALUE_OUT_OF_RANGE, raised by decimal arithmetic, AVG and casts to decimal).
   */
  NUMERIC_VALUE_OUT_OF_RANGE(Kind.USER_ERROR),
  /** Division by zero under ANSI mode (Spark's DIVIDE_BY_ZERO). */
  DIVIDE_BY_ZERO(Kind.USER_ERROR),
  /** A cast whose value does not fit the target type under ANSI mode (Spark's CAST_OVERFLOW). */
  CAST_OVERFLOW(Kind.USER_ERROR),
  /** A string that does not parse as the cast's target type under ANSI mode. */
  CAST_INVALID_INPUT(Kind.USER_ERROR),
  /** Something the engine does not do (yet); operators fall back instead of failing. */
  UNSUPPORTED(Kind.UNSUPPORTED),
  /** A memory budget was exhausted. */
  MEMORY_EXHAUSTED(Kind.RESOURCE_EXHAUSTED),
  /** A bug in Trueno. */
  INTERNAL(Kind.INTERNAL);

  /** The kinds of failure. */
  public enum Kind {
    USER_ERROR,
    UNSUPPORTED,
    RESOURCE_EXHAUSTED,
    INTERNAL
  }

  private final Kind kind;

  ErrorCode(Kind kind) {
    this.kind = kind;
  }

  /** The kind of failure this code belongs to. */
  public Kind kind() {
    return kind;
  }
}
