package dev.trueno.gpu;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A global aggregation (no grouping keys) whose per-batch work runs on the GPU: each consumed
 * batch's argument columns are reduced by {@link GlobalStatsKernel}, and the per-batch statistics
 * are folded into the calls' buffers on the host in batch order.
 *
 * <p>Results equal the scalar backend's bit for bit. Integer SUM wraps modulo 2^64, which any order
 * gives. Two things depend on Spark's row order, and for them the kernel's bound on the absolute
 * values decides whether the order can matter: an ANSI integer SUM can only overflow inside a batch
 * when |sum so far| + sum of |x| exceeds Long.MAX_VALUE, and AVG's double sum of integers is exact
 * (so equal to Spark's row-order sum) while the sum of |x| stays within 2^53. When the bound is
 * exceeded, that batch (ANSI SUM) or every later batch (AVG) is added on the host in row order, as
 * Spark does.
 */
final class GpuGlobalAggregator implements Aggregator {
  /** Every integer of magnitude up to 2^53 is a double, so sums within it are exact. */
  private static final long EXACT_DOUBLE_LIMIT = 1L << 53;

  private final AggregatePlan plan;
  private final BufferAllocator allocator;
  private final GlobalStatsKernel kernel;
  private final CallState[] states;
  // Columns some MIN or MAX reads; the others need only count, sum and absSum (the lean kernel).
  private final Set<Integer> minMaxColumns = new HashSet<>();
  private long inputRows;
  private boolean resultsStarted;
  private boolean resultReturned;

  GpuGlobalAggregator(
      AggregatePlan plan, CudaDevice device, DeviceMemoryPool pool, BufferAllocator allocator) {
    this.plan = plan;
    this.allocator = allocator;
    this.kernel = new GlobalStatsKernel(device, pool);
    List<AggregateCall> calls = plan.calls();
    this.states = new CallState[calls.size()];
    for (int i = 0; i < states.length; i++) {
      states[i] = new CallState(calls.get(i));
      AggregateFunction function = calls.get(i).function();
      if (states[i].column != null
          && (function == AggregateFunction.MIN || function == AggregateFunction.MAX)) {
        minMaxColumns.add(states[i].column.ordinal());
      }
    }
  }

  @Override
  public void consume(VectorSchemaRoot batch) {
    if (resultsStarted) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot consume input after the first nextResult call");
    }
    int rows = batch.getRowCount();
    // One kernel run per distinct column, however many calls read it.
    Map<Integer, ColumnStats> statsByColumn = new HashMap<>();
    for (CallState state : states) {
      ColumnRef ref = state.column;
      ColumnStats stats = null;
      FieldVector vector = null;
      if (ref != null) {
        vector = batch.getVector(ref.ordinal());
        FieldVector v = vector;
        stats =
            statsByColumn.computeIfAbsent(
                ref.ordinal(), o -> kernel.run(v, ref.type(), rows, minMaxColumns.contains(o)));
      }
      state.add(rows, stats, vector);
    }
    inputRows += rows;
  }

  @Override
  public VectorSchemaRoot nextResult(int maxRows) {
    if (maxRows <= 0) {
      throw new TruenoException(ErrorCode.INTERNAL, "maxRows must be positive, was " + maxRows);
    }
    resultsStarted = true;
    if (resultReturned) {
      return null;
    }
    resultReturned = true;
    VectorSchemaRoot root =
        VectorSchemaRoot.create(ArrowSchemas.arrowSchema(plan.output()), allocator);
    try {
      root.allocateNew();
      int column = 0;
      boolean results = plan.mode().outputsResults();
      for (CallState state : states) {
        Object[] values = results ? new Object[] {state.result()} : state.buffer();
        for (Object value : values) {
          write(root.getVector(column++), value);
        }
      }
      root.setRowCount(1);
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private static void write(FieldVector vector, Object value) {
    if (value == null) {
      vector.setNull(0);
    } else if (vector instanceof BigIntVector v) {
      v.setSafe(0, (Long) value);
    } else if (vector instanceof IntVector v) {
      v.setSafe(0, (int) (long) (Long) value);
    } else if (vector instanceof Float8Vector v) {
      v.setSafe(0, (Double) value);
    } else {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The GPU aggregator cannot write " + vector.getClass().getSimpleName());
    }
  }

  @Override
  public long inputRows() {
    return inputRows;
  }

  @Override
  public void close() {
    kernel.close();
  }

  /** The buffer of one aggregate call, in Spark's semantics for its function. */
  private static final class CallState {
    private final AggregateCall call;
    private final ColumnRef column;
    private final DataType type;
    private long count;
    private boolean hasValue;
    private long bits; // MIN/MAX value (long or double bits), or the integer SUM
    // AVG of integers: the exact sum while it is exact as a double, then Spark's row-order sum.
    private long exactSum;
    private long absBound;
    private boolean rowOrder;
    private double rowOrderSum;

    CallState(AggregateCall call) {
      this.call = call;
      this.column = call.argument() instanceof ColumnRef ref ? ref : null;
      this.type = column == null ? null : column.type();
    }

    void add(int rows, ColumnStats stats, FieldVector vector) {
      switch (call.function()) {
        case COUNT_STAR -> count += rows;
        case COUNT -> count += stats.count();
        case MIN, MAX -> {
          if (stats.count() == 0) {
            return;
          }
          long candidate =
              call.function() == dev.trueno.core.plan.AggregateFunction.MIN
                  ? stats.minBits()
                  : stats.maxBits();
          int cmp = ColumnStats.compare(candidate, bits, type);
          // The buffer wins ties: the first equal value in row order stays (-0.0 vs 0.0, NaNs).
          if (!hasValue
              || (call.function() == dev.trueno.core.plan.AggregateFunction.MIN
                  ? cmp < 0
                  : cmp > 0)) {
            bits = candidate;
            hasValue = true;
          }
        }
        case SUM -> addSum(stats, vector, rows);
        case AVG -> addAvg(stats, vector, rows);
      }
    }

    private void addSum(ColumnStats stats, FieldVector vector, int rows) {
      if (stats.count() == 0) {
        return;
      }
      if (!call.ansi()) {
        bits += stats.sum(); // wraps like Java longs, in any order
      } else if (Long.compareUnsigned(
              ColumnStats.saturatingAdd(unsignedAbs(hasValue ? bits : 0), stats.absSum()),
              Long.MAX_VALUE)
          <= 0) {
        // No partial sum of this batch, in any order, can leave the long range.
        bits += stats.sum();
      } else {
        long sum = hasValue ? bits : 0;
        for (int r = 0; r < rows; r++) {
          if (!vector.isNull(r)) {
            try {
              sum = Math.addExact(sum, longAt(vector, r));
            } catch (ArithmeticException e) {
              throw new TruenoException(
                  ErrorCode.ARITHMETIC_OVERFLOW,
                  "long overflow. Use 'try_add' to tolerate overflow and return NULL instead."
                      + " If necessary set spark.sql.ansi.enabled to false to bypass this error.");
            }
          }
        }
        bits = sum;
      }
      hasValue = true;
    }

    private void addAvg(ColumnStats stats, FieldVector vector, int rows) {
      if (stats.count() == 0) {
        return;
      }
      count += stats.count();
      if (!rowOrder) {
        long bound = ColumnStats.saturatingAdd(absBound, stats.absSum());
        if (Long.compareUnsigned(bound, EXACT_DOUBLE_LIMIT) <= 0) {
          absBound = bound;
          exactSum += stats.sum();
          return;
        }
        // From here on Spark's double sum may round: continue it row by row from the exact sum.
        rowOrder = true;
        rowOrderSum = (double) exactSum;
      }
      for (int r = 0; r < rows; r++) {
        if (!vector.isNull(r)) {
          rowOrderSum += (double) longAt(vector, r);
        }
      }
    }

    private double avgSum() {
      return rowOrder ? rowOrderSum : (double) exactSum;
    }

    Object[] buffer() {
      return switch (call.function()) {
        case COUNT, COUNT_STAR -> new Object[] {count};
        case MIN, MAX, SUM -> new Object[] {value()};
        case AVG -> new Object[] {avgSum(), count};
      };
    }

    Object result() {
      return switch (call.function()) {
        case COUNT, COUNT_STAR -> count;
        case MIN, MAX, SUM -> value();
        case AVG -> count == 0 ? null : avgSum() / (double) count;
      };
    }

    private Object value() {
      if (!hasValue) {
        return null;
      }
      if (call.function() != dev.trueno.core.plan.AggregateFunction.SUM
          && type.kind() == TypeKind.DOUBLE) {
        return Double.longBitsToDouble(bits);
      }
      return bits;
    }

    private static long unsignedAbs(long v) {
      return v < 0 ? -v : v; // Long.MIN_VALUE stays 2^63 read as unsigned
    }

    private static long longAt(FieldVector vector, int row) {
      if (vector instanceof IntVector v) {
        return v.get(row);
      }
      return ((BigIntVector) vector).get(row);
    }
  }
}
