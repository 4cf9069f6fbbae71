package dev.trueno.gpu;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.gpu.GroupedAggregateKernel.BatchGroups;
import dev.trueno.gpu.GroupedAggregateKernel.CallSpec;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A hash aggregation by 1 or 2 int/bigint key columns whose per-batch grouping runs on the GPU
 * ({@link GroupedAggregateKernel}); the batch's groups are merged into host-side buffers in the
 * order of their first row, so groups come out in first-seen order, like the scalar backend's.
 *
 * <p>Results equal the scalar backend's: COUNT, MIN and MAX of integers and the wrapping integer
 * SUM are the same in any order. An ANSI SUM raises its overflow error only if some running sum of
 * a group, in row order, leaves the long range; the kernel's exact per-group sum of |x| bounds
 * every running sum, and only when |sum before the batch| + sum of |x| could exceed Long.MAX_VALUE
 * for some group is the batch checked on the host in row order, as Spark adds.
 *
 * <p>A batch whose hash table does not fit the device memory pool is grouped in pieces of
 * consecutive rows, merged in row order; a piece of {@link #MIN_SPLIT_ROWS} rows that still does
 * not fit raises MEMORY_EXHAUSTED.
 */
final class GpuGroupedAggregator implements Aggregator {
  private static final String LONG_OVERFLOW =
      "long overflow. Use 'try_add' to tolerate overflow and return NULL instead."
          + " If necessary set spark.sql.ansi.enabled to false to bypass this error.";

  private final AggregatePlan plan;
  private final BufferAllocator allocator;

  /** A range this small that does not fit the device memory pool is not split further. */
  static final int MIN_SPLIT_ROWS = 4096;

  private final GroupedAggregateKernel kernel;

  /** Batch columns the kernel reads, each once: keys first, then arguments. */
  private final List<Integer> columnOrdinals = new ArrayList<>();

  private final int[] keyColumns;
  private final List<CallSpec> specs = new ArrayList<>();

  /** Per call: its first accumulator in the kernel's output and in {@link #groups}' state. */
  private final int[] accOffset;

  private final int[] stateOffset;
  private final int stateLongs;
  private final Map<GroupKey, long[]> groups = new LinkedHashMap<>();
  private long inputRows;
  private Iterator<Map.Entry<GroupKey, long[]>> results;

  GpuGroupedAggregator(
      AggregatePlan plan, CudaDevice device, DeviceMemoryPool pool, BufferAllocator allocator) {
    this.plan = plan;
    this.allocator = allocator;
    List<Expr> keys = plan.groupingKeys();
    keyColumns = new int[keys.size()];
    for (int k = 0; k < keyColumns.length; k++) {
      keyColumns[k] = column(((ColumnRef) keys.get(k)).ordinal());
    }
    List<AggregateCall> calls = plan.calls();
    accOffset = new int[calls.size()];
    stateOffset = new int[calls.size()];
    int acc = 0;
    int state = 0;
    for (int c = 0; c < calls.size(); c++) {
      AggregateCall call = calls.get(c);
      int op =
          switch (call.function()) {
            case COUNT_STAR -> GroupedAggregateKernel.OP_COUNT_STAR;
            case COUNT -> GroupedAggregateKernel.OP_COUNT;
            case SUM -> GroupedAggregateKernel.OP_SUM;
            case MIN -> GroupedAggregateKernel.OP_MIN;
            case MAX -> GroupedAggregateKernel.OP_MAX;
            case AVG ->
                throw new TruenoException(
                    ErrorCode.INTERNAL, "AVG reached the GPU grouped aggregator");
          };
      int column = op == GroupedAggregateKernel.OP_COUNT_STAR ? -1 : column(argOrdinal(call));
      specs.add(new CallSpec(op, column));
      accOffset[c] = acc;
      stateOffset[c] = state;
      acc += GroupedAggregateKernel.accumulators(op);
      // Host state per call: count of (non-null) rows, then the sum or min/max where there is one.
      state +=
          op == GroupedAggregateKernel.OP_COUNT_STAR || op == GroupedAggregateKernel.OP_COUNT
              ? 1
              : 2;
    }
    stateLongs = state;
    this.kernel = new GroupedAggregateKernel(device, pool);
  }

  private int column(int ordinal) {
    int i = columnOrdinals.indexOf(ordinal);
    if (i < 0) {
      columnOrdinals.add(ordinal);
      i = columnOrdinals.size() - 1;
    }
    return i;
  }

  private static int argOrdinal(AggregateCall call) {
    return ((ColumnRef) call.argument()).ordinal();
  }

  @Override
  public void consume(VectorSchemaRoot batch) {
    if (results != null) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot consume input after the first nextResult call");
    }
    int rows = batch.getRowCount();
    if (rows == 0) {
      return;
    }
    List<FieldVector> columns = new ArrayList<>();
    for (int ordinal : columnOrdinals) {
      columns.add(batch.getVector(ordinal));
    }
    consumeRange(columns, 0, rows);
    inputRows += rows;
  }

  /**
   * Groups rows {@code start} to {@code start + rows} on the GPU and merges them into {@link
   * #groups}; when the device memory pool has no room, the scratch buffers are given back and the
   * range is done in two halves, down to {@link #MIN_SPLIT_ROWS} rows.
   */
  private void consumeRange(List<FieldVector> columns, int start, int rows) {
    BatchGroups found;
    try {
      found = kernel.run(columns, keyColumns, specs, start, rows);
    } catch (TruenoException e) {
      if (e.code() != ErrorCode.MEMORY_EXHAUSTED || rows <= MIN_SPLIT_ROWS) {
        throw e;
      }
      kernel.releaseScratch();
      // Halves start at a multiple of 8, so that the kernel copies validity from a byte boundary.
      int half = (rows / 2 + 7) & ~7;
      consumeRange(columns, start, half);
      consumeRange(columns, start + half, rows - half);
      return;
    }
    // First-seen order: the range's groups by their first row.
    Integer[] order = new Integer[found.count()];
    for (int g = 0; g < order.length; g++) {
      order[g] = g;
    }
    Arrays.sort(order, (a, b) -> Long.compare(found.firstRow(a), found.firstRow(b)));
    GroupKey[] keys = new GroupKey[order.length];
    boolean rowOrderCheck = false;
    for (int i = 0; i < order.length; i++) {
      int g = order[i];
      keys[i] = GroupKey.at(columns, keyColumns, start + (int) found.firstRow(g));
      if (!rowOrderCheck && mayOverflow(groups.get(keys[i]), found, g)) {
        rowOrderCheck = true;
      }
    }
    if (rowOrderCheck) {
      checkSumsInRowOrder(columns, start, rows);
    }
    for (int i = 0; i < order.length; i++) {
      long[] state = groups.computeIfAbsent(keys[i], k -> newState());
      merge(state, found, order[i]);
    }
  }

  private long[] newState() {
    long[] state = new long[stateLongs];
    for (int c = 0; c < specs.size(); c++) {
      int op = specs.get(c).op();
      if (op == GroupedAggregateKernel.OP_MIN) {
        state[stateOffset[c] + 1] = Long.MAX_VALUE;
      } else if (op == GroupedAggregateKernel.OP_MAX) {
        state[stateOffset[c] + 1] = Long.MIN_VALUE;
      }
    }
    return state;
  }

  /** True when some ANSI SUM of this group could leave the long range in some row order. */
  private boolean mayOverflow(long[] before, BatchGroups found, int g) {
    for (int c = 0; c < specs.size(); c++) {
      if (specs.get(c).op() != GroupedAggregateKernel.OP_SUM || !plan.calls().get(c).ansi()) {
        continue;
      }
      long prior = before == null ? 0 : before[stateOffset[c] + 1];
      long absLow = found.accumulator(g, accOffset[c] + 2);
      long absHigh = found.accumulator(g, accOffset[c] + 3);
      long priorAbs = prior < 0 ? -prior : prior; // Long.MIN_VALUE stays 2^63 read as unsigned
      long bound = ColumnStats.saturatingAdd(priorAbs, absLow);
      if (absHigh != 0 || Long.compareUnsigned(bound, Long.MAX_VALUE) > 0) {
        return true;
      }
    }
    return false;
  }

  /** Adds the batch's values of every ANSI SUM in row order, per group, raising Spark's error. */
  private void checkSumsInRowOrder(List<FieldVector> columns, int start, int rows) {
    for (int c = 0; c < specs.size(); c++) {
      if (specs.get(c).op() != GroupedAggregateKernel.OP_SUM || !plan.calls().get(c).ansi()) {
        continue;
      }
      FieldVector values = columns.get(specs.get(c).column());
      Map<GroupKey, long[]> running = new HashMap<>();
      for (int r = start; r < start + rows; r++) {
        if (values.isNull(r)) {
          continue;
        }
        int call = c;
        long[] sum =
            running.computeIfAbsent(
                GroupKey.at(columns, keyColumns, r),
                k -> {
                  long[] before = groups.get(k);
                  return new long[] {before == null ? 0 : before[stateOffset[call] + 1]};
                });
        try {
          sum[0] = Math.addExact(sum[0], longAt(values, r));
        } catch (ArithmeticException e) {
          throw new TruenoException(ErrorCode.ARITHMETIC_OVERFLOW, LONG_OVERFLOW);
        }
      }
    }
  }

  private void merge(long[] state, BatchGroups found, int g) {
    for (int c = 0; c < specs.size(); c++) {
      int s = stateOffset[c];
      int a = accOffset[c];
      state[s] += found.accumulator(g, a);
      switch (specs.get(c).op()) {
        case GroupedAggregateKernel.OP_SUM -> state[s + 1] += found.accumulator(g, a + 1);
        case GroupedAggregateKernel.OP_MIN ->
            state[s + 1] = Math.min(state[s + 1], found.accumulator(g, a + 1));
        case GroupedAggregateKernel.OP_MAX ->
            state[s + 1] = Math.max(state[s + 1], found.accumulator(g, a + 1));
        default -> {}
      }
    }
  }

  @Override
  public VectorSchemaRoot nextResult(int maxRows) {
    if (maxRows <= 0) {
      throw new TruenoException(ErrorCode.INTERNAL, "maxRows must be positive, was " + maxRows);
    }
    if (results == null) {
      results = groups.entrySet().iterator();
      kernel.releaseScratch(); // no more input: give the device memory back early
    }
    if (!results.hasNext()) {
      return null;
    }
    VectorSchemaRoot root =
        VectorSchemaRoot.create(ArrowSchemas.arrowSchema(plan.output()), allocator);
    try {
      root.allocateNew();
      int n = 0;
      while (n < maxRows && results.hasNext()) {
        Map.Entry<GroupKey, long[]> group = results.next();
        writeRow(root, n++, group.getKey(), group.getValue());
      }
      root.setRowCount(n);
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private void writeRow(VectorSchemaRoot root, int row, GroupKey key, long[] state) {
    int col = 0;
    for (int k = 0; k < keyColumns.length; k++) {
      write(root.getVector(col++), row, key.isNull(k) ? null : key.value(k));
    }
    // For these functions Spark's buffer and result are the same single value.
    for (int c = 0; c < specs.size(); c++) {
      int s = stateOffset[c];
      Long value =
          switch (specs.get(c).op()) {
            case GroupedAggregateKernel.OP_COUNT_STAR, GroupedAggregateKernel.OP_COUNT -> state[s];
            default -> state[s] == 0 ? null : state[s + 1];
          };
      write(root.getVector(col++), row, value);
    }
  }

  private static void write(FieldVector vector, int row, Long value) {
    if (value == null) {
      vector.setNull(row);
    } else if (vector instanceof BigIntVector v) {
      v.setSafe(row, value);
    } else if (vector instanceof IntVector v) {
      v.setSafe(row, (int) (long) value);
    } else {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The GPU grouped aggregator cannot write " + vector.getClass().getSimpleName());
    }
  }

  private static long longAt(FieldVector vector, int row) {
    if (vector instanceof IntVector v) {
      return v.get(row);
    }
    return ((BigIntVector) vector).get(row);
  }

  @Override
  public long inputRows() {
    return inputRows;
  }

  @Override
  public void close() {
    groups.clear();
    results = null;
    kernel.close();
  }

  /** A group's key values; a null key is its own group (its value is ignored). */
  record GroupKey(long first, long second, byte nulls) {
    static GroupKey at(List<FieldVector> columns, int[] keyColumns, int row) {
      long[] v = new long[2];
      byte nulls = 0;
      for (int k = 0; k < keyColumns.length; k++) {
        FieldVector vector = columns.get(keyColumns[k]);
        if (vector.isNull(row)) {
          nulls |= (byte) (1 << k);
        } else {
          v[k] = longAt(vector, row);
        }
      }
      return new GroupKey(v[0], v[1], nulls);
    }

    boolean isNull(int k) {
      return (nulls & (1 << k)) != 0;
    }

    long value(int k) {
      return k == 0 ? first : second;
    }
  }
}
