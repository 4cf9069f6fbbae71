package dev.trueno.gpu;

import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;

/** What this slice of the GPU backend runs exactly; everything else gets a readable reason. */
final class GlobalAggregateSupport {
  private GlobalAggregateSupport() {}

  /** Why the GPU cannot run {@code plan} exactly, or null when it can. */
  static String unsupportedReason(AggregatePlan plan) {
    if (!plan.groupingKeys().isEmpty()) {
      // GpuBackend sends grouped plans to GroupedAggregateSupport; this guards direct callers.
      return "a grouped aggregation was checked as a global one";
    }
    if (plan.mode().mergesBuffers()) {
      return "merging aggregation buffers (mode "
          + plan.mode()
          + ") is not on the GPU yet (only COMPLETE and PARTIAL are)";
    }
    if (!plan.resultProjection().isEmpty()) {
      return "result projections over aggregates are not on the GPU yet";
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
      return fn + " with FILTER (WHERE ...) is not on the GPU yet";
    }
    return switch (call.function()) {
      case COUNT_STAR -> null;
      case COUNT, SUM, MIN, MAX, AVG -> argumentReason(plan, call);
    };
  }

  private static String argumentReason(AggregatePlan plan, AggregateCall call) {
    String fn = call.function().name();
    if (!(call.argument() instanceof ColumnRef ref)) {
      return fn
          + " of an expression is not on the GPU yet (only of plain columns): "
          + call.argument();
    }
    if (ref.ordinal() < 0 || ref.ordinal() >= plan.input().size()) {
      return fn + " refers to column " + ref.ordinal() + " outside the input";
    }
    DataType type = plan.input().get(ref.ordinal()).type();
    if (!type.equals(ref.type()) || !type.equals(call.argumentType())) {
      return fn
          + "("
          + ref.name()
          + ") has argument type "
          + call.argumentType()
          + " but the column is "
          + type;
    }
    TypeKind k = type.kind();
    if (k != TypeKind.INT && k != TypeKind.LONG && k != TypeKind.DOUBLE) {
      return fn + " over " + type + " is not on the GPU yet (only int, bigint and double are)";
    }
    if (k == TypeKind.DOUBLE
        && (call.function() == dev.trueno.core.plan.AggregateFunction.SUM
            || call.function() == dev.trueno.core.plan.AggregateFunction.AVG)) {
      // Spark adds doubles in row order; a parallel sum rounds differently in the last bits, and
      // results must equal the CPU's exactly.
      return fn
          + " over double is not on the GPU yet: Spark adds doubles in row order and a"
          + " parallel GPU sum would differ in the last bits";
    }
    return null;
  }
}
