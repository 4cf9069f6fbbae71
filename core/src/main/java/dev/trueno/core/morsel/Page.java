package dev.trueno.core.morsel;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.vector.FieldVector;

/**
 * The needed columns of one input batch, taken over by the pager, shared by the morsels that hold
 * its rows and freed when the last of them lets go.
 *
 * <p>The count is atomic because morsels are typically closed on another thread (the one that
 * finished copying them to the device) than the task thread that cuts them.
 */
final class Page {
  private final long batch;
  private final List<FieldVector> columns;
  private final AtomicInteger references = new AtomicInteger(1);

  /** A page holding {@code columns}, with one reference held by its creator. */
  Page(long batch, List<FieldVector> columns) {
    this.batch = batch;
    this.columns = List.copyOf(columns);
  }

  /** The index of the input batch this page came from, counted from 0 by the pager. */
  long batch() {
    return batch;
  }

  /** The columns, in the order of the pager's column ordinals. */
  List<FieldVector> columns() {
    return columns;
  }

  /** Adds a reference; only called while the caller already holds one. */
  void retain() {
    references.incrementAndGet();
  }

  /** Drops a reference, freeing the columns with the last one. */
  void release() {
    int left = references.decrementAndGet();
    if (left == 0) {
      for (FieldVector column : columns) {
        column.close();
      }
    } else if (left < 0) {
      throw new IllegalStateException("Page of batch " + batch + " released once too often");
    }
  }
}
