package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * Logical NOT (NOT NULL is NULL).
 *
 * @param child the operand
 */
public record Not(Expr child) implements Expr {
  @Override
  public DataType type() {
    return DataType.BOOLEAN;
  }

  @Override
  public List<Expr> children() {
    return List.of(child);
  }
}
