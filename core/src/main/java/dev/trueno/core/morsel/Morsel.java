package dev.trueno.core.morsel;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.vector.FieldVector;

/**
 * A contiguous run of rows of the input stream, at most the pager's byte budget of the columns a
 * kernel reads, described as slices of the input batches without copying them.
 *
 * <p>A morsel keeps the buffers of its slices alive until it is closed; close every morsel the
 * pager returns (closing twice is harmless). The vectors of its slices are shared with other
 * morsels and must be treated as read-only; they are invalid once the morsel is closed. A morsel
 * may be closed on any thread.
 */
public final class Morsel implements AutoCloseable {
  /**
   * Rows {@code [fromRow, fromRow + rowCount)} of one input batch.
   *
   * @param batch the index of the input batch, counted from 0 in the order the pager received them
   * @param fromRow the first row, an index into the batch and into {@code columns}
   * @param rowCount the number of rows, at least 1
   * @param byteSize {@link SliceBytes#ofColumns} of {@code columns} for these rows
   * @param columns the batch's needed columns, in the order of the pager's column ordinals
   */
  public record Slice(
      long batch, int fromRow, int rowCount, long byteSize, List<FieldVector> columns) {}

  private final List<Slice> slices;
  private final List<Page> pages;
  private final int rowCount;
  private final long byteSize;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** A morsel that owns one reference on each of {@code pages}. */
  Morsel(List<Slice> slices, List<Page> pages, int rowCount, long byteSize) {
    this.slices = List.copyOf(slices);
    this.pages = List.copyOf(pages);
    this.rowCount = rowCount;
    this.byteSize = byteSize;
  }

  /** The slices in stream order; consecutive slices are consecutive rows of the input. */
  public List<Slice> slices() {
    return slices;
  }

  /** The number of rows, the sum of the slices' row counts. */
  public int rowCount() {
    return rowCount;
  }

  /**
   * The bytes of the needed columns of these rows, the sum of the slices' byte sizes; at most the
   * pager's {@code maxBytes} unless the morsel is a single row that alone exceeds it.
   */
  public long byteSize() {
    return byteSize;
  }

  /** Releases this morsel's hold on the input buffers; the last holder frees them. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      for (Page page : pages) {
        page.release();
      }
    }
  }

  @Override
  public String toString() {
    return "Morsel[" + rowCount + " rows, " + byteSize + " bytes, " + slices.size() + " slices]";
  }
}
