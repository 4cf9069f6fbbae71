package dev.trueno.spark.exec;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * An operator input whose first batches were read before the operator started, so that the task can
 * size its partition (and choose a backend by the 5x rule) from real batches rather than from
 * planning-time estimates, which filters make wrong. The batches read ahead are handed out again,
 * in order, before the rest of the input.
 *
 * <p>Batches read ahead are taken over into roots of the task's allocator without copying (the
 * input reuses its own root for the next batch); each is closed when the next batch is asked for,
 * the same lifetime the input's batches have.
 */
final class ReadAhead extends ArrowInput.Batches {
  private final ArrowInput.Batches in;
  private final Deque<VectorSchemaRoot> ahead = new ArrayDeque<>();
  private final Deque<Boolean> aheadConverted = new ArrayDeque<>();
  // Bytes read ahead per column; the priced columns (null: all) are those of the size limit.
  private final long[] columnBytes;
  private final List<Integer> priced;
  private final boolean complete;
  private VectorSchemaRoot handedOut;

  private ReadAhead(
      ArrowInput.Batches in, BufferAllocator allocator, long limit, List<Integer> cols) {
    super(null);
    this.in = in;
    this.priced = cols;
    long[] perColumn = new long[0];
    try {
      while (sum(perColumn, cols) < limit && in.hasNext()) {
        VectorSchemaRoot batch = in.next();
        boolean converted = in.lastBatchConverted();
        VectorSchemaRoot own = ArrowInput.takeOver(batch, allocator);
        ahead.addLast(own);
        aheadConverted.addLast(converted);
        if (perColumn.length == 0) {
          perColumn = new long[own.getFieldVectors().size()];
        }
        for (int c = 0; c < perColumn.length; c++) {
          perColumn[c] += own.getVector(c).getBufferSize();
        }
      }
    } catch (RuntimeException | Error e) {
      ahead.forEach(VectorSchemaRoot::close);
      throw e;
    }
    columnBytes = perColumn;
    complete = !in.hasNext();
  }

  /**
   * Reads batches of {@code in} until the columns {@code cols} (null: all) hold at least {@code
   * limitBytes} or the input ends.
   */
  static ReadAhead of(
      ArrowInput.Batches in, BufferAllocator allocator, long limitBytes, List<Integer> cols) {
    return new ReadAhead(in, allocator, limitBytes, cols);
  }

  /** Bytes of the columns priced in the batches read ahead (Arrow buffer sizes). */
  long bytes() {
    return sum(columnBytes, priced);
  }

  /** Bytes of the given columns in the batches read ahead. */
  long bytes(List<Integer> cols) {
    return sum(columnBytes, cols);
  }

  /** The sum of {@code perColumn} over {@code cols} (null: all); absent columns count zero. */
  private static long sum(long[] perColumn, List<Integer> cols) {
    long n = 0;
    if (cols == null) {
      for (long b : perColumn) {
        n += b;
      }
    } else {
      for (int c : cols) {
        n += c < perColumn.length ? perColumn[c] : 0;
      }
    }
    return n;
  }

  /** Whether the read-ahead reached the end of the input: {@link #bytes()} is then all of it. */
  boolean complete() {
    return complete;
  }

  @Override
  public boolean hasNext() {
    return !ahead.isEmpty() || in.hasNext();
  }

  @Override
  public VectorSchemaRoot next() {
    releaseHandedOut();
    if (!ahead.isEmpty()) {
      handedOut = ahead.pollFirst();
      converted = aheadConverted.pollFirst();
      return handedOut;
    }
    if (!in.hasNext()) {
      throw new NoSuchElementException();
    }
    VectorSchemaRoot batch = in.next();
    converted = in.lastBatchConverted();
    return batch;
  }

  private void releaseHandedOut() {
    if (handedOut != null) {
      handedOut.close();
      handedOut = null;
    }
  }

  @Override
  public void close() {
    releaseHandedOut();
    while (!ahead.isEmpty()) {
      ahead.pollFirst().close();
    }
    in.close();
  }
}
