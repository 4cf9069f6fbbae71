package dev.trueno.simd.scalar;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The scalar reference hash aggregation: one Java hash map from group key to accumulators, fed row
 * by row. Groups come out in first-seen order, so results are deterministic.
 */
final class HashAggregator implements Aggregator {
  private final AggregatePlan plan;
  private final BufferAllocator allocator;
  private final List<DataType> keyTypes = new ArrayList<>();
  private final List<Field> output;
  private final Schema outputSchema;
  private final Map<GroupKey, Accumulator[]> groups = new LinkedHashMap<>();
  private final boolean checkEachUpdate;
  private long inputRows;
  private Iterator<Map.Entry<GroupKey, Accumulator[]>> results;

  HashAggregator(AggregatePlan plan, BufferAllocator allocator) {
    this.plan = plan;
    this.allocator = allocator;
    for (Expr key : plan.groupingKeys()) {
      keyTypes.add(key.type());
    }
    this.output = plan.output();
    this.outputSchema = ArrowSchemas.arrowSchema(output);
    this.checkEachUpdate = !plan.groupingKeys().isEmpty();
  }

  @Override
  public void consume(VectorSchemaRoot batch) {
    if (results != null) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot consume input after the first nextResult call");
    }
    List<FieldVector> vectors = batch.getFieldVectors();
    int rows = batch.getRowCount();
    int[] current = new int[1];
    RowValues row = ordinal -> VectorValues.read(vectors.get(ordinal), current[0]);
    for (int r = 0; r < rows; r++) {
      current[0] = r;
      consumeRow(row);
    }
    inputRows += rows;
  }

  private void consumeRow(RowValues row) {
    List<Expr> keys = plan.groupingKeys();
    Object[] keyValues = new Object[keys.size()];
    for (int k = 0; k < keyValues.length; k++) {
      keyValues[k] = ExprEvaluator.eval(keys.get(k), row);
    }
    Accumulator[] accs = groups.computeIfAbsent(GroupKey.of(keyValues, keyTypes), k -> newGroup());
    List<AggregateCall> calls = plan.calls();
    boolean merge = plan.mode().mergesBuffers();
    for (int c = 0; c < accs.length; c++) {
      AggregateCall call = calls.get(c);
      if (merge) {
        List<Integer> ordinals = call.bufferOrdinals();
        Object[] buffer = new Object[ordinals.size()];
        for (int b = 0; b < buffer.length; b++) {
          buffer[b] = row.value(ordinals.get(b));
        }
        accs[c].merge(buffer);
      } else {
        if (call.filter() != null
            && !ExprEvaluator.isTrue(ExprEvaluator.eval(call.filter(), row))) {
          continue;
        }
        Object value =
            call.function() == AggregateFunction.COUNT_STAR
                ? null
                : ExprEvaluator.eval(call.argument(), row);
        accs[c].update(value);
      }
    }
  }

  private Accumulator[] newGroup() {
    List<AggregateCall> calls = plan.calls();
    Accumulator[] accs = new Accumulator[calls.size()];
    for (int c = 0; c < accs.length; c++) {
      accs[c] = Accumulators.create(calls.get(c), checkEachUpdate);
    }
    return accs;
  }

  @Override
  public VectorSchemaRoot nextResult(int maxRows) {
    if (maxRows <= 0) {
      throw new TruenoException(ErrorCode.INTERNAL, "maxRows must be positive, was " + maxRows);
    }
    if (results == null) {
      if (plan.groupingKeys().isEmpty() && groups.isEmpty()) {
        // A global aggregate has one row also for empty input, with initial buffers.
        groups.put(GroupKey.of(new Object[0], keyTypes), newGroup());
      }
      results = groups.entrySet().iterator();
    }
    if (!results.hasNext()) {
      return null;
    }
    VectorSchemaRoot root = VectorSchemaRoot.create(outputSchema, allocator);
    try {
      root.allocateNew();
      int n = 0;
      while (n < maxRows && results.hasNext()) {
        Map.Entry<GroupKey, Accumulator[]> group = results.next();
        Object[] values = outputRow(group.getKey(), group.getValue());
        for (int col = 0; col < values.length; col++) {
          VectorValues.write(root.getVector(col), n, values[col], output.get(col).type());
        }
        n++;
      }
      root.setRowCount(n);
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private Object[] outputRow(GroupKey key, Accumulator[] accs) {
    List<Object> values = new ArrayList<>();
    for (Object k : key.values()) {
      values.add(k);
    }
    boolean results = plan.mode().outputsResults();
    for (Accumulator acc : accs) {
      if (results) {
        values.add(acc.result());
      } else {
        for (Object b : acc.buffer()) {
          values.add(b);
        }
      }
    }
    if (!results || plan.resultProjection().isEmpty()) {
      return values.toArray();
    }
    RowValues row = values::get;
    List<Expr> projection = plan.resultProjection();
    Object[] projected = new Object[projection.size()];
    for (int i = 0; i < projected.length; i++) {
      projected[i] = ExprEvaluator.eval(projection.get(i), row);
    }
    return projected;
  }

  @Override
  public long inputRows() {
    return inputRows;
  }

  @Override
  public void close() {
    groups.clear();
    results = null;
  }
}
