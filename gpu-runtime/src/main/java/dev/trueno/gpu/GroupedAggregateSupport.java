package dev.trueno.gpu;

import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;

/**
 * Which grouped aggregations the GPU runs exactly ({@link GpuGroupedAggregator}); everything else
 * gets a readable reason and runs on the CPU.
 */
final class GroupedAggregateSupport {
  /** The most grouping keys the GPU hash table takes. */
  static final int MAX_KEYS = 2;

  private GroupedAggregateSupport() {}

  /** Why the GPU cannot run the grouped {@code plan} exactly, or null when it can. */
  static String unsupportedReason(AggregatePlan plan) {
    if (plan.mode().mergesBuffers()) {
      return "merging aggregation buffers (mode "
          + plan.mode()
          + ") in a grouped aggregation is not on the GPU yet (only COMPLETE and PARTIAL are)";
    }
    if (!plan.resultProjection().isEmpty()) {
      return "result projections over grouped aggregates are not on the GPU yet";
    }
    if (plan.groupingKeys().size() > MAX_KEYS) {
      return "grouping by "
          + plan.groupingKeys().size()
          + " keys is not on the GPU yet (at most "
          + MAX_KEYS
          + " are)";
    }
    for (Expr key : plan.groupingKeys()) {
      String reason = columnReason(plan, key, "grouping key", key.type());
      if (reason != null) {
        return reason;
      }
    }
    for (AggregateCall call : plan.calls()) {
      String reason = callReason(plan, call);
      if (reason != null) {
        return reason;
      }
    }
    return null;
  }

  private static String callReason(AggregatePlan plan, AggregateCall call) {
    String fn = call.function().name();
    if (call.filter() != null) {
      return fn + " with FILTER (WHERE ...) in a grouped aggregation is not on the GPU yet";
    }
    return switch (call.function()) {
      case COUNT_STAR -> null;
      case AVG -> "AVG in a grouped aggregation is not on the GPU yet";
      case COUNT, SUM, MIN, MAX -> columnReason(plan, call.argument(), fn, call.argumentType());
    };
  }

  /** Null when {@code expr} is a plain int or bigint column of the input, typed {@code type}. */
  private static String columnReason(AggregatePlan plan, Expr expr, String what, DataType type) {
    if (!(expr instanceof ColumnRef ref)) {
      return what
          + " of an expression is not on the GPU yet in a grouped aggregation (only of plain"
          + " columns): "
          + expr;
    }
    if (ref.ordinal() < 0 || ref.ordinal() >= plan.input().size()) {
      return what + " refers to column " + ref.ordinal() + " outside the input";
    }
    DataType column = plan.input().get(ref.ordinal()).type();
    if (!column.equals(ref.type()) || !column.equals(type)) {
      return what + " (" + ref.name() + ") has type " + type + " but the column is " + column;
    }
    if (column.kind() != TypeKind.INT && column.kind() != TypeKind.LONG) {
      return what
          + " over "
          + column
          + " is not on the GPU yet in a grouped aggregation (only int and bigint are)";
    }
    return null;
  }
}
