package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * A comparison of two operands of the same type. NaN equals NaN and is greater than every other
 * number; -0.0 equals 0.0; strings compare by their UTF-8 bytes.
 *
 * @param op the comparison
 * @param left the left operand
 * @param right the right operand
 */
public record Comparison(ComparisonOp op, Expr left, Expr right) implements Expr {
  @Override
  public DataType type() {
    return DataType.BOOLEAN;
  }

  @Override
  public List<Expr> children() {
    return List.of(left, right);
  }
}
