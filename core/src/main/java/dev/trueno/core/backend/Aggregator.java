package dev.trueno.core.backend;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A running hash aggregation: takes input batches, then hands out the result in batches.
 *
 * <p>Input batches must have the plan's input schema; the aggregator reads them during {@link
 * #consume} and keeps no reference afterwards, so the caller may reuse or free them. Result batches
 * are owned by the caller, who closes each one. Closing the aggregator frees everything it still
 * holds.
 */
public interface Aggregator extends AutoCloseable {

  /** Adds the rows of one input batch. */
  void consume(VectorSchemaRoot batch);

  /**
   * The next result batch of at most {@code maxRows} rows, or null when every group was returned.
   * No input may be consumed after the first call.
   */
  VectorSchemaRoot nextResult(int maxRows);

  /** Rows consumed so far. */
  long inputRows();

  @Override
  void close();
}
