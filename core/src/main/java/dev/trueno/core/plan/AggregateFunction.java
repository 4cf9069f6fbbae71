package dev.trueno.core.plan;

/** The aggregate functions the IR supports. */
public enum AggregateFunction {
  SUM,
  /** {@code COUNT(x)}: rows where x is not NULL. */
  COUNT,
  /** {@code COUNT(*)}: all rows. */
  COUNT_STAR,
  MIN,
  MAX,
  AVG
}
