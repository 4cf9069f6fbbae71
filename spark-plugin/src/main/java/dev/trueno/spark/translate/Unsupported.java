package dev.trueno.spark.translate;

/**
 * Thrown inside translation when something cannot run on Trueno; the message is the reason a user
 * reads in the explain output. Never escapes the planner: the node stays on Spark instead.
 */
final class Unsupported extends RuntimeException {
  private static final long serialVersionUID = 1L;

  Unsupported(String reason) {
    super(reason, null, false, false);
  }
}
