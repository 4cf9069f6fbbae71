package dev.trueno.spark.exec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.VectorBatchAppender;

/**
 * Gathers consecutive small probe batches into one batch of up to {@code targetBytes}, so that a
 * backend with a fixed cost per probe call (the GPU: launches, copies and a sync per batch) sees
 * few large batches instead of Spark's many small ones.
 *
 * <p>A batch that is already at least {@code targetBytes} is handed on as the source returned it
 * (no copy). Smaller ones are taken over from the source (their buffers move, no copy) until the
 * next one would pass {@code targetBytes} or has other column types; that one starts the next
 * group. A group of one is handed on as is; a larger group is copied once into a batch of {@code
 * allocator}, so the memory counts against the task. Each batch returned is valid until the next
 * call to {@link #next()} or {@link #close()}.
 */
final class ProbeCoalescer implements AutoCloseable {
  /** At most this many rows in one gathered batch (Arrow's value counts are ints). */
  static final int MAX_ROWS = 1 << 30;

  // Gathered batches made since the JVM started: lets a test see that gathering happened.
  private static final AtomicLong GATHERED = new AtomicLong();

  private final Supplier<VectorSchemaRoot> source;
  private final BufferAllocator allocator;
  private final long targetBytes;
  // Taken over from the source: the first batch of the next group.
  private VectorSchemaRoot held;
  // Returned by the last next() and owned here (null when that batch is the source's own).
  private VectorSchemaRoot returned;
  private boolean sourceDone;

  ProbeCoalescer(Supplier<VectorSchemaRoot> source, BufferAllocator allocator, long targetBytes) {
    this.source = source;
    this.allocator = allocator;
    this.targetBytes = targetBytes;
  }

  /** How many gathered (copied) batches this JVM has made. */
  static long gatheredBatches() {
    return GATHERED.get();
  }

  /** The next probe batch (never empty), or null when the source is exhausted. */
  VectorSchemaRoot next() {
    releaseReturned();
    VectorSchemaRoot first = held;
    held = null;
    if (first == null) {
      VectorSchemaRoot b = pull();
      if (b == null) {
        return null;
      }
      if (ArrowInput.bytes(b) >= targetBytes) {
        return b; // already large: used in place, valid until the next pull
      }
      first = ArrowInput.takeOver(b, allocator);
    }
    List<VectorSchemaRoot> group = new ArrayList<>();
    group.add(first);
    long total = ArrowInput.bytes(first);
    long rows = first.getRowCount();
    try {
      while (total < targetBytes) {
        VectorSchemaRoot b = pull();
        if (b == null) {
          break;
        }
        long size = ArrowInput.bytes(b);
        if (total + size > targetBytes
            || rows + b.getRowCount() > MAX_ROWS
            || !sameTypes(first, b)) {
          held = ArrowInput.takeOver(b, allocator);
          break;
        }
        group.add(ArrowInput.takeOver(b, allocator));
        total += size;
        rows += b.getRowCount();
      }
      if (group.size() == 1) {
        returned = first;
        group.clear();
        return first;
      }
      returned = gather(group, (int) rows);
      GATHERED.incrementAndGet();
      return returned;
    } finally {
      group.forEach(VectorSchemaRoot::close);
    }
  }

  private VectorSchemaRoot pull() {
    while (!sourceDone) {
      VectorSchemaRoot b = source.get();
      if (b == null) {
        sourceDone = true;
      } else if (b.getRowCount() > 0) {
        return b;
      }
    }
    return null;
  }

  /** One batch of this allocator with the rows of {@code group}, in order. */
  private VectorSchemaRoot gather(List<VectorSchemaRoot> group, int rows) {
    VectorSchemaRoot out = VectorSchemaRoot.create(group.get(0).getSchema(), allocator);
    try {
      for (int c = 0; c < out.getFieldVectors().size(); c++) {
        FieldVector target = out.getVector(c);
        target.setInitialCapacity(rows);
        target.allocateNew();
        FieldVector[] parts = new FieldVector[group.size()];
        for (int i = 0; i < parts.length; i++) {
          parts[i] = group.get(i).getVector(c);
        }
        VectorBatchAppender.batchAppend(target, parts);
      }
      out.setRowCount(rows);
      return out;
    } catch (RuntimeException | Error e) {
      out.close();
      throw e;
    }
  }

  // Batches of one child may come wrapped (a scan's own Arrow vectors) or converted (Spark's
  // Arrow schema): only batches whose column types agree can be appended to each other.
  private static boolean sameTypes(VectorSchemaRoot a, VectorSchemaRoot b) {
    List<Field> fa = a.getSchema().getFields();
    List<Field> fb = b.getSchema().getFields();
    if (fa.size() != fb.size()) {
      return false;
    }
    for (int i = 0; i < fa.size(); i++) {
      if (!fa.get(i).getType().equals(fb.get(i).getType())
          || !fa.get(i).getChildren().equals(fb.get(i).getChildren())) {
        return false;
      }
    }
    return true;
  }

  private void releaseReturned() {
    if (returned != null) {
      returned.close();
      returned = null;
    }
  }

  @Override
  public void close() {
    releaseReturned();
    if (held != null) {
      held.close();
      held = null;
    }
  }
}
