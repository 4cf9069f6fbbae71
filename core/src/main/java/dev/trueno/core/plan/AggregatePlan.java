package dev.trueno.core.plan;

import dev.trueno.core.expr.Expr;
import dev.trueno.core.types.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * A hash aggregation: group the input by the grouping keys and compute the aggregate calls per
 * group, in one of Spark's phases.
 *
 * <p>The output schema is the grouping keys followed, per call, by its buffer fields (buffer modes)
 * or its result (result modes). When {@link #resultProjection()} is not empty, result modes
 * evaluate it over that schema and output its values instead (Spark's {@code resultExpressions}).
 * Without grouping keys the output has exactly one row, also for empty input, as in Spark.
 *
 * @param input the input batch's columns
 * @param groupingKeys the grouping expressions over the input
 * @param groupingNames output names of the grouping keys
 * @param calls the aggregate functions
 * @param mode the phase
 * @param resultProjection expressions over (keys ++ results) giving the output; may be empty
 * @param resultNames output names of the projection
 */
public record AggregatePlan(
    List<Field> input,
    List<Expr> groupingKeys,
    List<String> groupingNames,
    List<AggregateCall> calls,
    AggregateMode mode,
    List<Expr> resultProjection,
    List<String> resultNames)
    implements java.io.Serializable {

  /** Copies the lists. */
  public AggregatePlan {
    input = List.copyOf(input);
    groupingKeys = List.copyOf(groupingKeys);
    groupingNames = List.copyOf(groupingNames);
    calls = List.copyOf(calls);
    resultProjection = List.copyOf(resultProjection);
    resultNames = List.copyOf(resultNames);
  }

  /**
   * The ordinals of the input columns the aggregation reads, ascending: those its keys, arguments
   * and filters refer to, and in merging modes each call's buffer columns. The cost model prices
   * only these, since a GPU backend copies only these to the device.
   */
  public List<Integer> columnsRead() {
    java.util.BitSet read = new java.util.BitSet();
    groupingKeys.forEach(k -> collectColumns(k, read));
    for (AggregateCall call : calls) {
      if (mode.mergesBuffers()) {
        call.bufferOrdinals().forEach(read::set);
      } else {
        if (call.argument() != null) {
          collectColumns(call.argument(), read);
        }
        if (call.filter() != null) {
          collectColumns(call.filter(), read);
        }
      }
    }
    return read.stream().boxed().toList();
  }

  /** The ordinals of the input columns the grouping keys read, ascending. */
  public List<Integer> keyColumnsRead() {
    java.util.BitSet read = new java.util.BitSet();
    groupingKeys.forEach(k -> collectColumns(k, read));
    return read.stream().boxed().toList();
  }

  private static void collectColumns(dev.trueno.core.expr.Expr e, java.util.BitSet into) {
    if (e instanceof dev.trueno.core.expr.ColumnRef ref) {
      into.set(ref.ordinal());
    }
    for (dev.trueno.core.expr.Expr child : e.children()) {
      collectColumns(child, into);
    }
  }

  /** The schema of keys followed by buffers (buffer modes) or results (result modes). */
  public List<Field> aggregateOutput() {
    List<Field> out = new ArrayList<>();
    for (int i = 0; i < groupingKeys.size(); i++) {
      out.add(new Field(groupingNames.get(i), groupingKeys.get(i).type(), true));
    }
    for (int i = 0; i < calls.size(); i++) {
      AggregateCall call = calls.get(i);
      if (mode.outputsResults()) {
        out.add(new Field("agg" + i, call.resultType(), true));
      } else {
        for (Field f : call.bufferFields()) {
          out.add(new Field(f.name() + i, f.type(), f.nullable()));
        }
      }
    }
    return out;
  }

  /** The schema the aggregator's result batches have. */
  public List<Field> output() {
    if (!mode.outputsResults() || resultProjection.isEmpty()) {
      return aggregateOutput();
    }
    List<Field> out = new ArrayList<>();
    for (int i = 0; i < resultProjection.size(); i++) {
      out.add(new Field(resultNames.get(i), resultProjection.get(i).type(), true));
    }
    return out;
  }
}
