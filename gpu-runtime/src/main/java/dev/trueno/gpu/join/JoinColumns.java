package dev.trueno.gpu.join;

import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import dev.trueno.gpu.expr.DeviceExpr;
import dev.trueno.gpu.transfer.DeviceColumn;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The columns each side of a join needs on the device (fixed-width output columns, keys,
 * condition), the string columns it outputs (gathered on the host) and where every output column
 * comes from.
 */
final class JoinColumns {
  /** Left ordinals the join reads or outputs, ascending. */
  final List<Integer> leftNeeded;

  /** Right ordinals the join reads or outputs, ascending. */
  final List<Integer> rightNeeded;

  /** Left string columns that are output (gathered on the host), ascending. */
  final List<Integer> leftHost;

  /** Right string columns that are output (gathered on the host), ascending. */
  final List<Integer> rightHost;

  /** Names of string columns that keys or the condition read (the GPU refuses such joins). */
  final List<String> stringsRead;

  /** Per output column: 0 left, 1 right, 2 the existence flag. */
  final int[] outSide;

  /** Per output column: the ordinal in its side. */
  final int[] outOrdinal;

  /** Per output column: its type. */
  final DataType[] outType;

  JoinColumns(JoinPlan plan) {
    // Columns the device reads (keys, condition): must be fixed-width (JoinSupport checks).
    TreeSet<Integer> leftRead = new TreeSet<>();
    TreeSet<Integer> rightRead = new TreeSet<>();
    for (Expr k : plan.leftKeys()) {
      addRead(k, plan.left(), leftRead);
    }
    for (Expr k : plan.rightKeys()) {
      addRead(k, plan.right(), rightRead);
    }
    if (plan.condition() != null
        && DeviceExpr.unsupportedReason(plan.condition(), JoinSupport.joined(plan)) == null) {
      DeviceExpr c = DeviceExpr.compile(plan.condition(), JoinSupport.joined(plan));
      for (int ordinal : c.columnsRead()) {
        if (ordinal < plan.left().size()) {
          leftRead.add(ordinal);
        } else {
          rightRead.add(ordinal - plan.left().size());
        }
      }
    }
    List<String> strings = new ArrayList<>();
    for (int side = 0; side < 2; side++) {
      List<Field> fields = side == 0 ? plan.left() : plan.right();
      for (int ordinal : side == 0 ? leftRead : rightRead) {
        if (fields.get(ordinal).type().kind() == TypeKind.STRING) {
          strings.add(fields.get(ordinal).name());
        }
      }
    }
    stringsRead = List.copyOf(strings);
    // Output columns: fixed-width ones are gathered on the device, strings on the host.
    TreeSet<Integer> leftHostSet = new TreeSet<>();
    TreeSet<Integer> rightHostSet = new TreeSet<>();
    for (int side = 0; side < 2; side++) {
      List<Field> fields = side == 0 ? plan.left() : plan.right();
      if (side == 1 && !plan.type().outputsRight()) {
        break;
      }
      for (int i = 0; i < fields.size(); i++) {
        boolean string = fields.get(i).type().kind() == TypeKind.STRING;
        (string ? (side == 0 ? leftHostSet : rightHostSet) : (side == 0 ? leftRead : rightRead))
            .add(i);
      }
    }
    leftNeeded = List.copyOf(leftRead);
    rightNeeded = List.copyOf(rightRead);
    leftHost = List.copyOf(leftHostSet);
    rightHost = List.copyOf(rightHostSet);
    int n = plan.output().size();
    outSide = new int[n];
    outOrdinal = new int[n];
    outType = new DataType[n];
    for (int i = 0; i < n; i++) {
      outType[i] = plan.output().get(i).type();
      if (i < plan.left().size()) {
        outSide[i] = 0;
        outOrdinal[i] = i;
      } else if (plan.type() == JoinType.EXISTENCE) {
        outSide[i] = 2;
      } else {
        outSide[i] = 1;
        outOrdinal[i] = i - plan.left().size();
      }
    }
  }

  private static void addRead(Expr key, List<Field> fields, TreeSet<Integer> into) {
    if (key instanceof ColumnRef ref) {
      into.add(ref.ordinal());
    } else if (DeviceExpr.unsupportedReason(key, fields) == null) {
      for (int ordinal : DeviceExpr.compile(key, fields).columnsRead()) {
        into.add(ordinal);
      }
    }
  }

  /** The side (0 left, 1 right) of the build. */
  static int buildSide(JoinPlan plan) {
    return plan.buildSide() == BuildSide.LEFT ? 0 : 1;
  }

  /** The kernels' description of a key column: width | kind << 8 (1 float, 2 double). */
  static int keyMeta(DataType type) {
    int kind = type.kind() == TypeKind.FLOAT ? 1 : type.kind() == TypeKind.DOUBLE ? 2 : 0;
    return DeviceColumn.widthOf(type) | kind << 8;
  }
}
