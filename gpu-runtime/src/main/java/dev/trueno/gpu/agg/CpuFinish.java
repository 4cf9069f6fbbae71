package dev.trueno.gpu.agg;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.morsel.Morsel;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.transfer.DeviceColumn;
import dev.trueno.simd.scalar.ScalarEval;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Finishes a grouped aggregation on the CPU after the device memory pool ran out: it starts from
 * the groups the GPU built (their aggregation buffers, in first-row order) and folds the remaining
 * rows in with the scalar reference accumulators, row by row in input order, so the answer is the
 * one the scalar backend would give for the whole input. Rows still in device memory (morsels
 * already copied) are copied back first.
 */
final class CpuFinish {
  private final AggregatePlan plan;
  private final BufferAllocator allocator;
  private final int numKeys;
  private final Map<List<Object>, ScalarEval.Acc[]> groups = new LinkedHashMap<>();
  private Iterator<Map.Entry<List<Object>, ScalarEval.Acc[]>> results;

  CpuFinish(AggregatePlan plan, BufferAllocator allocator) {
    this.plan = plan;
    this.allocator = allocator;
    numKeys = plan.groupingKeys().size();
  }

  private ScalarEval.Acc[] fresh() {
    return OutputRows.accumulators(plan);
  }

  /**
   * Takes over the GPU's groups: {@code columns} as {@link DeviceHashTable#download()} gives.
   * Groups first seen at or after {@code unprocessedRow} were created while placing the morsel that
   * ran out of memory: none of their rows was aggregated, and the CPU creates them again in row
   * order when it takes that morsel (their first rows on the GPU miss the rows refused).
   */
  void seed(long[][] columns, GroupedCalls calls, long unprocessedRow) {
    long[] acc = new long[calls.accumulators()];
    for (int g : FirstRowOrder.sort(columns[0])) {
      if (columns[0][g] >= unprocessedRow) {
        break; // sorted by first row: the rest are as new
      }
      List<Object> key = new ArrayList<>(numKeys);
      for (int k = 0; k < numKeys; k++) {
        boolean isNull = (columns[1][g] & (1L << k)) != 0;
        key.add(isNull ? null : GroupedCalls.value(columns[2 + k][g], calls.keyTypes.get(k)));
      }
      for (int a = 0; a < acc.length; a++) {
        acc[a] = columns[2 + numKeys + a][g];
      }
      ScalarEval.Acc[] accs = fresh();
      for (int c = 0; c < accs.length; c++) {
        accs[c].merge(calls.buffer(c, acc));
      }
      groups.put(key, accs);
    }
  }

  /** Folds in the rows of an input batch (the plan's input schema). */
  void consume(VectorSchemaRoot batch) {
    List<FieldVector> vectors = batch.getFieldVectors();
    consume(vectors::get, 0, batch.getRowCount());
  }

  /** Folds in the rows of a morsel still in host memory ({@code ordinals}: its columns'). */
  void consume(Morsel morsel, List<Integer> ordinals) {
    for (Morsel.Slice slice : morsel.slices()) {
      FieldVector[] byOrdinal = new FieldVector[plan.input().size()];
      for (int c = 0; c < ordinals.size(); c++) {
        byOrdinal[ordinals.get(c)] = slice.columns().get(c);
      }
      consume(i -> byOrdinal[i], slice.fromRow(), slice.rowCount());
    }
  }

  /**
   * Copies a morsel's columns back from the device ({@code ordinals}: their input ordinals) and
   * folds its rows in.
   */
  void consume(CudaDevice device, List<DeviceColumn> columns, List<Integer> ordinals, int rows) {
    List<FieldVector> host = new ArrayList<>();
    try {
      FieldVector[] byOrdinal = new FieldVector[plan.input().size()];
      for (int c = 0; c < columns.size(); c++) {
        Field field = plan.input().get(ordinals.get(c));
        FieldVector v =
            ArrowSchemas.arrowSchema(List.of(field)).getFields().get(0).createVector(allocator);
        host.add(v);
        v.setInitialCapacity(rows);
        v.allocateNew();
        DeviceColumn d = columns.get(c);
        long valueBytes = d.typeWidth() == 0 ? (rows + 7L) / 8 : (long) rows * d.typeWidth();
        long validityBytes = (rows + 7L) / 8;
        try {
          device.makeCurrent();
          JCudaDriver.cuMemcpyDtoH(
              Pointer.to(v.getDataBuffer().nioBuffer(0, (int) valueBytes)), d.values(), valueBytes);
          JCudaDriver.cuMemcpyDtoH(
              Pointer.to(v.getValidityBuffer().nioBuffer(0, (int) validityBytes)),
              d.validity(),
              validityBytes);
        } catch (CudaException e) {
          throw device.error("copy a morsel back to finish it on the CPU", e);
        }
        v.setValueCount(rows);
        byOrdinal[ordinals.get(c)] = v;
      }
      consume(i -> byOrdinal[i], 0, rows);
    } finally {
      host.forEach(FieldVector::close);
    }
  }

  private void consume(java.util.function.IntFunction<FieldVector> column, int from, int rows) {
    List<AggregateCall> calls = plan.calls();
    boolean merge = plan.mode().mergesBuffers();
    for (int r = from; r < from + rows; r++) {
      int row = r;
      java.util.function.IntFunction<Object> values = i -> ScalarEval.read(column.apply(i), row);
      Object[] key = new Object[numKeys];
      for (int k = 0; k < key.length; k++) {
        key[k] = ScalarEval.eval(plan.groupingKeys().get(k), values);
      }
      ScalarEval.Acc[] accs = groups.computeIfAbsent(Arrays.asList(key), k -> fresh());
      for (int c = 0; c < accs.length; c++) {
        AggregateCall call = calls.get(c);
        if (merge) {
          List<Integer> ordinals = call.bufferOrdinals();
          Object[] buffer = new Object[ordinals.size()];
          for (int b = 0; b < buffer.length; b++) {
            buffer[b] = ScalarEval.read(column.apply(ordinals.get(b)), r);
          }
          accs[c].merge(buffer);
        } else if (call.filter() != null
            && !ScalarEval.isTrue(ScalarEval.eval(call.filter(), values))) {
          continue;
        } else if (call.function() == AggregateFunction.COUNT_STAR) {
          accs[c].update(Boolean.TRUE);
        } else {
          accs[c].update(ScalarEval.eval(call.argument(), values));
        }
      }
    }
  }

  /**
   * The next batch of at most {@code maxRows} output rows, or null when every group was emitted.
   */
  VectorSchemaRoot next(int maxRows) {
    List<Object[]> rows = new ArrayList<>();
    if (results == null) {
      results = groups.entrySet().iterator();
      if (groups.isEmpty() && numKeys == 0) {
        rows.add(OutputRows.row(plan, List.of(), fresh())); // keyless: one row for empty input
      }
    }
    while (rows.size() < maxRows && results.hasNext()) {
      Map.Entry<List<Object>, ScalarEval.Acc[]> group = results.next();
      rows.add(OutputRows.row(plan, group.getKey(), group.getValue()));
    }
    return rows.isEmpty() ? null : OutputRows.batch(plan, rows, allocator);
  }
}
