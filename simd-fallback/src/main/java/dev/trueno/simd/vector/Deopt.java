package dev.trueno.simd.vector;

/**
 * Thrown by a vectorized step that met a row it must not decide itself (an ANSI error, or an error
 * that Spark might not raise because it would not evaluate that operand for that row). The caller
 * redoes the batch row by row with the reference semantics, which raises the right error (or none)
 * in the reference's order. Carries no stack trace: it is control flow.
 */
final class Deopt extends RuntimeException {
  private static final long serialVersionUID = 1L;
  static final Deopt INSTANCE = new Deopt();

  private Deopt() {
    super("vectorized evaluation needs the row-by-row path", null, false, false);
  }
}
