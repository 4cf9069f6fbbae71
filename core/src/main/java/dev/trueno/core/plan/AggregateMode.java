package dev.trueno.core.plan;

/**
 * The phase of a (possibly split) aggregation, exactly as Spark's {@code AggregateMode}.
 *
 * <p>Update phases read raw input rows; merge phases read aggregation buffers produced by an
 * earlier phase (in Spark's buffer layout). Buffer-output phases emit buffers for a later phase;
 * result-output phases emit the final values.
 */
public enum AggregateMode {
  /** Input rows in, aggregation buffers out. */
  PARTIAL(false, false),
  /** Buffers in, merged buffers out. */
  PARTIAL_MERGE(true, false),
  /** Buffers in, final results out. */
  FINAL(true, true),
  /** Input rows in, final results out. */
  COMPLETE(false, true);

  private final boolean mergesBuffers;
  private final boolean outputsResults;

  AggregateMode(boolean mergesBuffers, boolean outputsResults) {
    this.mergesBuffers = mergesBuffers;
    this.outputsResults = outputsResults;
  }

  /** True when the input holds aggregation buffers rather than raw rows. */
  public boolean mergesBuffers() {
    return mergesBuffers;
  }

  /** True when the output holds final values rather than aggregation buffers. */
  public boolean outputsResults() {
    return outputsResults;
  }
}
