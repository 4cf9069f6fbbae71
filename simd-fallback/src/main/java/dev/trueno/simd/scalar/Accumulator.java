package dev.trueno.simd.scalar;

/**
 * The aggregation state of one aggregate call for one group, in Spark's buffer semantics: update
 * folds in an input value, merge folds in another phase's buffer, and the buffer and result views
 * are what Spark's buffer attributes and evaluate expression would produce.
 */
interface Accumulator {
  /** Folds in one input row's argument value (null for NULL; ignored by COUNT(*)). */
  void update(Object value);

  /** Folds in a buffer read from a previous phase, in {@code AggregateCall.bufferFields} order. */
  void merge(Object[] buffer);

  /** The buffer values, as Spark would write them into its buffer row. */
  Object[] buffer();

  /** The final value, as Spark's evaluate expression gives it. */
  Object result();
}
