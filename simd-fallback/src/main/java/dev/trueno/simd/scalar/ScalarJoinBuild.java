package dev.trueno.simd.scalar;

import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The scalar reference build side: the build batches taken over as they are, and one Java hash map
 * from each normalized key tuple ({@link GroupKey}) to the build rows carrying it. Build rows are
 * numbered globally in the order they were added.
 */
final class ScalarJoinBuild implements JoinBuild {
  /** A rough count of the Java bytes per build row: map entry, boxed key values, row id. */
  static final long ROW_OVERHEAD_BYTES = 96;

  final JoinPlan plan;
  private final BufferAllocator allocator;
  private final long budgetBytes;
  private final List<DataType> keyTypes = new ArrayList<>();
  final List<VectorSchemaRoot> batches = new ArrayList<>();
  // batchStart[b] is the global number of build batch b's first row; one more entry at the end.
  private int[] batchStart = new int[] {0};
  final Map<GroupKey, RowList> table = new HashMap<>();

  /** Build rows that some probe row matched; only when the plan tracks build matches. */
  final BitSet matched;

  private int rows;
  private long bytes;
  private boolean finished;
  private boolean broken;
  private boolean closed;
  private boolean probed;

  ScalarJoinBuild(JoinPlan plan, BufferAllocator allocator, long budgetBytes) {
    this.plan = plan;
    this.allocator = allocator;
    this.budgetBytes = budgetBytes;
    for (Expr key : plan.buildKeys()) {
      keyTypes.add(key.type());
    }
    this.matched = plan.tracksBuildMatches() ? new BitSet() : null;
  }

  @Override
  public void add(VectorSchemaRoot batch) {
    checkUsable();
    if (finished) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot add a build batch to a join build after finish()");
    }
    int n = batch.getRowCount();
    long incoming = ROW_OVERHEAD_BYTES * n;
    for (FieldVector v : batch.getFieldVectors()) {
      incoming += v.getBufferSize();
    }
    if (bytes + incoming > budgetBytes) {
      broken = true;
      throw new TruenoException(
          ErrorCode.MEMORY_EXHAUSTED,
          "Cannot build the join hash table within its memory budget of "
              + budgetBytes
              + " bytes: adding a build batch of "
              + n
              + " rows needs about "
              + (bytes + incoming)
              + " bytes ("
              + rows
              + " build rows so far); partition the build side or give the join more memory");
    }
    VectorSchemaRoot own = transfer(batch, allocator);
    batches.add(own);
    bytes += incoming;
    int base = rows;
    rows += n;
    if (batchStart.length < batches.size() + 1) {
      batchStart = Arrays.copyOf(batchStart, batchStart.length * 2 + 1);
    }
    batchStart[batches.size()] = rows;
    List<FieldVector> vectors = own.getFieldVectors();
    List<Expr> keys = plan.buildKeys();
    int[] current = new int[1];
    RowValues row = ordinal -> VectorValues.read(vectors.get(ordinal), current[0]);
    try {
      for (int r = 0; r < n; r++) {
        current[0] = r;
        GroupKey key = key(keys, keyTypes, row);
        if (key != null) {
          table.computeIfAbsent(key, k -> new RowList()).add(base + r);
        }
      }
    } catch (RuntimeException e) {
      // A key expression failed (an ANSI error): the batch is half inserted.
      broken = true;
      throw e;
    }
  }

  /**
   * The normalized key of one row, or null when a key is NULL (such a row matches nothing: Spark
   * plans null-safe keys as non-null expressions).
   */
  static GroupKey key(List<Expr> keys, List<DataType> types, RowValues row) {
    Object[] values = new Object[keys.size()];
    for (int k = 0; k < values.length; k++) {
      values[k] = ExprEvaluator.eval(keys.get(k), row);
      if (values[k] == null) {
        return null;
      }
    }
    return GroupKey.of(values, types);
  }

  /** Takes over the buffers of {@code batch} into vectors of {@code allocator}, without copying. */
  static VectorSchemaRoot transfer(VectorSchemaRoot batch, BufferAllocator allocator) {
    List<FieldVector> vectors = new ArrayList<>();
    try {
      for (FieldVector v : batch.getFieldVectors()) {
        TransferPair tp = v.getTransferPair(allocator);
        tp.transfer();
        vectors.add((FieldVector) tp.getTo());
      }
    } catch (RuntimeException e) {
      vectors.forEach(FieldVector::close);
      throw e;
    }
    return new VectorSchemaRoot(batch.getSchema().getFields(), vectors, batch.getRowCount());
  }

  @Override
  public void finish() {
    checkUsable();
    finished = true;
  }

  /** Marks the build as probed, refusing a second probe where build matches are tracked. */
  void startProbe() {
    checkUsable();
    if (!finished) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot probe a join build before its finish() was called");
    }
    if (matched != null && probed) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "This "
              + plan.type()
              + " join build tracks matched build rows and can be probed by one probe only");
    }
    probed = true;
  }

  @Override
  public long rowCount() {
    return rows;
  }

  @Override
  public long sizeBytes() {
    return bytes;
  }

  int rows() {
    return rows;
  }

  /** The build batch holding global row {@code g}. */
  int batchOf(int g) {
    int lo = 0;
    int hi = batches.size() - 1;
    // Last b with batchStart[b] <= g; empty batches share a start and are skipped.
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (batchStart[mid] <= g) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    while (batchStart[lo + 1] <= g) {
      lo++;
    }
    return lo;
  }

  int batchStart(int b) {
    return batchStart[b];
  }

  private void checkUsable() {
    if (closed) {
      throw new TruenoException(ErrorCode.INTERNAL, "The join build is closed");
    }
    if (broken) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The join build failed while adding a build batch and cannot be used; close it");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    table.clear();
    for (VectorSchemaRoot b : batches) {
      b.close();
    }
    batches.clear();
  }

  /** A growable list of global build row numbers. */
  static final class RowList {
    int[] rows = new int[2];
    int size;

    void add(int row) {
      if (size == rows.length) {
        rows = Arrays.copyOf(rows, size * 2);
      }
      rows[size++] = row;
    }
  }
}
