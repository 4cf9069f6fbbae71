package dev.trueno.gpu.agg;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Writes output batches column by column straight from the groups' accumulators, for plans whose
 * every call's buffer and result are one integer the table holds as is: COUNT, COUNT(*), integer
 * SUM, and MIN/MAX of integer-like types, without a result projection. Equal to going through the
 * scalar reference ({@link OutputRows}): those accumulators merge into a fresh reference buffer
 * unchanged (an exact long sum cannot overflow when added to 0). At a million groups the reference
 * objects per group would cost more than the aggregation itself.
 */
final class DirectOutput {
  private DirectOutput() {}

  /** Whether {@code plan}'s output can be written directly. */
  static boolean applies(AggregatePlan plan) {
    if (!plan.resultProjection().isEmpty() && plan.mode().outputsResults()) {
      return false;
    }
    for (AggregateCall call : plan.calls()) {
      DataType type = call.argumentType();
      boolean direct =
          switch (call.function()) {
            case COUNT, COUNT_STAR -> true;
            case SUM -> type.kind().isIntegral();
            case MIN, MAX -> GroupedSupport.isKeyType(type);
            case AVG -> false;
          };
      if (!direct) {
        return false;
      }
    }
    return true;
  }

  /** Groups {@code order[from..from+n)} of {@code groups} ({@link DeviceHashTable#download()}). */
  static VectorSchemaRoot batch(
      AggregatePlan plan,
      GroupedCalls calls,
      long[][] groups,
      int[] order,
      int from,
      int n,
      BufferAllocator allocator) {
    VectorSchemaRoot root =
        VectorSchemaRoot.create(ArrowSchemas.arrowSchema(plan.output()), allocator);
    try {
      root.allocateNew();
      int numKeys = calls.keyColumns.length;
      int col = 0;
      for (int k = 0; k < numKeys; k++) {
        FieldVector v = root.getVector(col++);
        for (int r = 0; r < n; r++) {
          int g = order[from + r];
          if ((groups[1][g] & (1L << k)) != 0) {
            v.setNull(r);
          } else {
            write(v, r, groups[2 + k][g]);
          }
        }
      }
      for (int c = 0; c < plan.calls().size(); c++) {
        FieldVector v = root.getVector(col++);
        long[] first = groups[2 + numKeys + calls.firstAccumulator(c)];
        AggregateFunction f = plan.calls().get(c).function();
        long[] second =
            f == AggregateFunction.COUNT || f == AggregateFunction.COUNT_STAR
                ? null
                : groups[2 + numKeys + calls.firstAccumulator(c) + 1];
        for (int r = 0; r < n; r++) {
          int g = order[from + r];
          if (second == null) {
            write(v, r, first[g]); // the count
          } else if (first[g] == 0) {
            v.setNull(r); // no non-null value
          } else {
            write(v, r, second[g]);
          }
        }
      }
      root.setRowCount(n);
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private static void write(FieldVector vector, int row, long value) {
    if (vector instanceof BigIntVector v) {
      v.setSafe(row, value);
    } else if (vector instanceof IntVector v) {
      v.setSafe(row, (int) value);
    } else if (vector instanceof DateDayVector v) {
      v.setSafe(row, (int) value);
    } else if (vector instanceof SmallIntVector v) {
      v.setSafe(row, (short) value);
    } else if (vector instanceof TinyIntVector v) {
      v.setSafe(row, (byte) value);
    } else if (vector instanceof TimeStampVector v) {
      v.setSafe(row, value);
    } else if (vector instanceof DecimalVector v) {
      v.setSafe(row, value); // the unscaled value, sign-extended
    } else if (vector instanceof BitVector v) {
      v.setSafe(row, value != 0 ? 1 : 0);
    } else {
      throw new dev.trueno.core.error.TruenoException(
          dev.trueno.core.error.ErrorCode.INTERNAL,
          "Direct GPU output cannot write a " + vector.getClass().getSimpleName());
    }
  }
}
