package dev.trueno.gpu.agg;

import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import dev.trueno.gpu.expr.DeviceExpr;
import dev.trueno.simd.scalar.ScalarBackend;
import java.util.List;

/**
 * Which aggregations {@link GpuHashAggregator} runs exactly (grouped ones, and keyless ones as a
 * single group); everything else gets a readable reason and runs on the CPU.
 */
public final class GroupedSupport {
  /** The most grouping keys the device hash table takes. */
  public static final int MAX_KEYS = 4;

  private GroupedSupport() {}

  /** Why the GPU cannot run the grouped {@code plan} exactly, or null when it can. */
  public static String unsupportedReason(AggregatePlan plan) {
    // Output values (and the result projection) come from the scalar reference: what it cannot
    // do, the GPU path cannot either.
    String reference = new ScalarBackend().unsupportedReason(plan);
    if (reference != null) {
      return reference;
    }
    if (plan.groupingKeys().size() > MAX_KEYS) {
      return "grouping by "
          + plan.groupingKeys().size()
          + " keys is not on the GPU (at most "
          + MAX_KEYS
          + " are)";
    }
    for (Expr key : plan.groupingKeys()) {
      String reason = column(plan, key, "grouping key");
      if (reason == null && !isKeyType(key.type())) {
        reason = "grouping by " + key.type() + " is not on the GPU yet" + KEY_TYPES;
      }
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

  private static final String KEY_TYPES =
      " (keys of boolean, tinyint, smallint, int, bigint, date, timestamp and decimal up to 18"
          + " digits are)";

  /** Types held exactly as one 64-bit integer: keys, integer MIN/MAX. */
  static boolean isKeyType(DataType type) {
    return switch (type.kind()) {
      case BOOLEAN, BYTE, SHORT, INT, LONG, DATE, TIMESTAMP -> true;
      case DECIMAL -> type.precision() <= 18;
      default -> false;
    };
  }

  private static String callReason(AggregatePlan plan, AggregateCall call) {
    String fn = call.function().name();
    if (call.filter() != null) {
      if (plan.mode().mergesBuffers()) {
        return fn + " with FILTER (WHERE ...) in merge mode " + plan.mode();
      }
      String reason = DeviceExpr.unsupportedReason(GroupedCalls.aggregated(call), plan.input());
      if (reason != null) {
        return fn + " with FILTER (WHERE ...): " + reason;
      }
    }
    DataType type = call.argumentType();
    if (call.function() != AggregateFunction.COUNT_STAR) {
      String reason = argumentType(call.function(), type);
      if (reason != null) {
        return fn + " over " + type + " in a grouped aggregation is not on the GPU yet" + reason;
      }
    }
    if (!plan.mode().mergesBuffers()) {
      return call.function() == AggregateFunction.COUNT_STAR
          ? null
          : column(plan, call.argument(), fn);
    }
    // In merge modes the argument only describes the buffers: the buffer columns are read.
    return bufferReason(plan, call);
  }

  private static String bufferReason(AggregatePlan plan, AggregateCall call) {
    String fn = call.function().name();
    List<Field> buffer = call.bufferFields();
    if (call.bufferOrdinals().size() != buffer.size()) {
      return fn
          + " has "
          + call.bufferOrdinals().size()
          + " buffer columns, expected "
          + buffer.stream().map(f -> f.name() + " " + f.type()).toList();
    }
    for (int b = 0; b < buffer.size(); b++) {
      int ordinal = call.bufferOrdinals().get(b);
      if (ordinal < 0 || ordinal >= plan.input().size()) {
        return fn + " reads buffer column " + ordinal + " outside the input";
      }
      DataType actual = plan.input().get(ordinal).type();
      if (!actual.equals(buffer.get(b).type())) {
        return fn
            + " buffer column "
            + ordinal
            + " is "
            + actual
            + ", expected "
            + buffer.get(b).name()
            + " "
            + buffer.get(b).type();
      }
    }
    return null;
  }

  private static String argumentType(AggregateFunction function, DataType type) {
    TypeKind k = type.kind();
    boolean decimal18 = k == TypeKind.DECIMAL && type.precision() <= 18;
    boolean ok =
        switch (function) {
          case COUNT_STAR -> true;
          case COUNT -> k != TypeKind.STRING;
          case SUM, AVG -> k.isIntegral() || k.isFloating() || decimal18;
          case MIN, MAX -> isKeyType(type) || k.isFloating();
        };
    if (ok) {
      return null;
    }
    return k == TypeKind.DECIMAL
        ? " (decimals up to 18 digits are)"
        : k == TypeKind.STRING ? " (strings stay on the CPU)" : "";
  }

  /**
   * Null when {@code expr} is a column of the input with the same type, or an expression the GPU
   * evaluates exactly ({@link DeviceExpr}).
   */
  private static String column(AggregatePlan plan, Expr expr, String what) {
    if (!(expr instanceof ColumnRef ref)) {
      String reason = DeviceExpr.unsupportedReason(expr, plan.input());
      return reason == null ? null : what + " of an expression: " + reason;
    }
    if (ref.ordinal() < 0 || ref.ordinal() >= plan.input().size()) {
      return what + " refers to column " + ref.ordinal() + " outside the input";
    }
    DataType column = plan.input().get(ref.ordinal()).type();
    if (!column.equals(ref.type())) {
      return what + " (" + ref.name() + ") has type " + ref.type() + " but the column is " + column;
    }
    return null;
  }
}
