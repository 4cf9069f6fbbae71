package dev.trueno.core.backend;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A running hash aggregation: takes input batches, then hands out the result in batches.
 *
 * <p>Input batches must have the plan's input schema. The aggregator either reads them during
 * {@link #consume} or takes over the buffers of the columns it reads (the GPU backend's morsel
 * pager moves them, without copying, and leaves those vectors empty); either way it keeps no
 * reference to the batch, so the caller may refill (which allocates fresh buffers) or close it, but
 * must not read it again. To keep a batch readable, pass a slice of it ({@code
 * VectorSchemaRoot.slice}, which shares the buffers by reference count). Result batches are owned
 * by the caller, who closes each one. Closing the aggregator frees everything it still holds.
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
