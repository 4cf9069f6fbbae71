package dev.trueno.core.plan;

import dev.trueno.core.expr.Expr;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * A hash equi-join of two inputs, as Spark plans it: rows of {@code left} and {@code right} match
 * when every key pair is equal and the optional extra condition is true.
 *
 * <p>Key equality is Spark's: a NULL key never matches (Spark rewrites a null-safe {@code <=>} key
 * into non-null {@code coalesce} and {@code isnull} keys before planning), every NaN is one value,
 * -0.0 equals 0.0, and the key types of a pair are equal. The {@code condition} is evaluated over
 * the joined row (the left columns followed by the right columns, so a {@code ColumnRef} with
 * ordinal {@code left.size() + i} reads right column {@code i}); a pair whose condition is NULL or
 * false does not match.
 *
 * <p>The output is {@link #output()}: left ++ right for inner and outer joins (the side that can be
 * NULL-extended made nullable), left alone for semi and anti joins, left ++ a boolean {@code
 * exists} for existence joins. Output row order is unspecified, as in Spark.
 *
 * @param type the join type
 * @param buildSide the side the hash table is built from
 * @param left the left input's columns
 * @param right the right input's columns
 * @param leftKeys key expressions over the left input
 * @param rightKeys key expressions over the right input, pairwise of the same type as {@code
 *     leftKeys}
 * @param condition an extra condition over left ++ right, or null
 */
public record JoinPlan(
    JoinType type,
    BuildSide buildSide,
    List<Field> left,
    List<Field> right,
    List<Expr> leftKeys,
    List<Expr> rightKeys,
    Expr condition)
    implements java.io.Serializable {

  /** Copies the lists and checks that the keys pair up. */
  public JoinPlan {
    left = List.copyOf(left);
    right = List.copyOf(right);
    leftKeys = List.copyOf(leftKeys);
    rightKeys = List.copyOf(rightKeys);
    if (leftKeys.isEmpty() || leftKeys.size() != rightKeys.size()) {
      throw new IllegalArgumentException(
          "A hash join needs as many left keys as right keys, and at least one; got "
              + leftKeys.size()
              + " and "
              + rightKeys.size());
    }
  }

  /** The columns of the build side. */
  public List<Field> buildFields() {
    return buildSide == BuildSide.LEFT ? left : right;
  }

  /** The columns of the probe (streamed) side. */
  public List<Field> probeFields() {
    return buildSide == BuildSide.LEFT ? right : left;
  }

  /** The key expressions over the build side. */
  public List<Expr> buildKeys() {
    return buildSide == BuildSide.LEFT ? leftKeys : rightKeys;
  }

  /** The key expressions over the probe side. */
  public List<Expr> probeKeys() {
    return buildSide == BuildSide.LEFT ? rightKeys : leftKeys;
  }

  /**
   * Whether the join must remember which build rows matched, to output the others (or only those)
   * after the last probe batch: the build side is preserved by an outer join, or is the left side
   * of a semi, anti or existence join. Such a build cannot be shared by several probing tasks.
   */
  public boolean tracksBuildMatches() {
    if (buildSide == BuildSide.LEFT) {
      return type.keepsUnmatchedLeft() || !type.outputsRight();
    }
    return type.keepsUnmatchedRight();
  }

  /** The output columns, in order. */
  public List<Field> output() {
    List<Field> out = new ArrayList<>();
    boolean leftNullable = type.keepsUnmatchedRight();
    for (Field f : left) {
      out.add(leftNullable ? new Field(f.name(), f.type(), true) : f);
    }
    if (type.outputsRight()) {
      boolean rightNullable = type.keepsUnmatchedLeft();
      for (Field f : right) {
        out.add(rightNullable ? new Field(f.name(), f.type(), true) : f);
      }
    } else if (type == JoinType.EXISTENCE) {
      out.add(new Field("exists", DataType.BOOLEAN, false));
    }
    return out;
  }
}
