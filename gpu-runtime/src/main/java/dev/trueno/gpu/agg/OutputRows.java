package dev.trueno.gpu.agg;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.Field;
import dev.trueno.simd.scalar.ScalarEval;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A group's output row, computed by the scalar reference from the group's accumulators: the keys,
 * then per call its buffer ({@code AggregateCall.bufferFields}, buffer modes) or result (result
 * modes), then Spark's result projection over keys and results where the plan has one. The GPU path
 * and its CPU finish both emit through here, so their output is the scalar backend's by
 * construction.
 */
final class OutputRows {
  private OutputRows() {}

  /**
   * Fresh reference accumulators for a group of {@code plan}. Spark's keyless aggregation checks a
   * decimal buffer only when it is emitted; its grouped aggregation at every update.
   */
  static ScalarEval.Acc[] accumulators(AggregatePlan plan) {
    ScalarEval.Acc[] accs = new ScalarEval.Acc[plan.calls().size()];
    for (int c = 0; c < accs.length; c++) {
      accs[c] = ScalarEval.accumulator(plan.calls().get(c), !plan.groupingKeys().isEmpty());
    }
    return accs;
  }

  /** The output values of one group with key values {@code keys}. */
  static Object[] row(AggregatePlan plan, List<Object> keys, ScalarEval.Acc[] accs) {
    List<Object> values = new ArrayList<>(keys);
    for (int c = 0; c < accs.length; c++) {
      if (plan.mode().outputsResults()) {
        values.add(accs[c].result());
      } else {
        for (Object b : accs[c].buffer()) {
          values.add(b);
        }
      }
    }
    List<Expr> projection = plan.resultProjection();
    if (!plan.mode().outputsResults() || projection.isEmpty()) {
      return values.toArray();
    }
    Object[] projected = new Object[projection.size()];
    for (int i = 0; i < projected.length; i++) {
      projected[i] = ScalarEval.eval(projection.get(i), values::get);
    }
    return projected;
  }

  /** A batch of {@code rows} in the plan's output schema. */
  static VectorSchemaRoot batch(
      AggregatePlan plan, List<Object[]> rows, BufferAllocator allocator) {
    List<Field> output = plan.output();
    VectorSchemaRoot root = VectorSchemaRoot.create(ArrowSchemas.arrowSchema(output), allocator);
    try {
      root.allocateNew();
      for (int r = 0; r < rows.size(); r++) {
        Object[] row = rows.get(r);
        for (int c = 0; c < output.size(); c++) {
          ScalarEval.write(root.getVector(c), r, row[c], output.get(c).type());
        }
      }
      root.setRowCount(rows.size());
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }
}
