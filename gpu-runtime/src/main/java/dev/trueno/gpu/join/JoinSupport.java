package dev.trueno.gpu.join;

import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import dev.trueno.gpu.expr.DeviceExpr;
import java.util.ArrayList;
import java.util.List;

/** Which joins the GPU runs: the reason it refuses a {@link JoinPlan}, or null. */
public final class JoinSupport {
  /** Keys per join the kernels compare (JOIN_MAX_KEYS in joins.cu). */
  static final int MAX_KEYS = 4;

  private JoinSupport() {}

  /**
   * Why the GPU cannot run {@code plan} exactly as the scalar backend does, or null when it can: 1
   * to 4 keys of boolean, integer, float, double, date, timestamp or decimal (at most 18 digits)
   * type, fixed-width columns wherever the join reads or outputs them, and a condition the device
   * expression compiler accepts.
   */
  public static String unsupportedReason(JoinPlan plan) {
    int keys = plan.leftKeys().size();
    if (keys > MAX_KEYS) {
      return "joins on more than " + MAX_KEYS + " keys are not on the GPU yet (" + keys + " keys)";
    }
    for (int k = 0; k < keys; k++) {
      DataType lt = plan.leftKeys().get(k).type();
      DataType rt = plan.rightKeys().get(k).type();
      if (!lt.equals(rt)) {
        return "join key "
            + (k + 1)
            + " has different types on the two sides ("
            + lt
            + " and "
            + rt
            + ")";
      }
      String reason = keyReason(plan.leftKeys().get(k), plan.left());
      if (reason == null) {
        reason = keyReason(plan.rightKeys().get(k), plan.right());
      }
      if (reason != null) {
        return reason;
      }
    }
    JoinColumns columns = new JoinColumns(plan);
    if (!columns.stringsRead.isEmpty()) {
      return "string column "
          + columns.stringsRead.get(0)
          + " is read by a join key or the condition, and the GPU does not read strings yet";
    }
    Expr condition = plan.condition();
    if (condition != null) {
      if (condition.type().kind() != TypeKind.BOOLEAN) {
        return "the join condition is not a boolean: " + condition;
      }
      String reason = DeviceExpr.unsupportedReason(condition, joined(plan));
      if (reason != null) {
        return "join condition " + condition + ": " + reason;
      }
    }
    return null;
  }

  /** Left ++ right: the columns a condition reads. */
  static List<Field> joined(JoinPlan plan) {
    List<Field> all = new ArrayList<>(plan.left());
    all.addAll(plan.right());
    return all;
  }

  private static String keyReason(Expr key, List<Field> input) {
    DataType type = key.type();
    switch (type.kind()) {
      case STRING:
        return "string join keys are not on the GPU yet (key " + key + ")";
      case DECIMAL:
        if (type.precision() > 18) {
          return "decimal join keys of more than 18 digits are not on the GPU yet (key "
              + key
              + " is "
              + type
              + ")";
        }
        break;
      default:
        break;
    }
    if (!(key instanceof ColumnRef)) {
      String reason = DeviceExpr.unsupportedReason(key, input);
      if (reason != null) {
        return "join key " + key + ": " + reason;
      }
    }
    return null;
  }
}
