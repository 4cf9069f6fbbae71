package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * Logical OR with SQL three-valued logic.
 *
 * @param left the left operand
 * @param right the right operand
 */
public record Or(Expr left, Expr right) implements Expr {
  @Override
  public DataType type() {
    return DataType.BOOLEAN;
  }

  @Override
  public List<Expr> children() {
    return List.of(left, right);
  }
}
