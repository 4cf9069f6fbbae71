package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * IsNull of a valueIsNull.
 *
 * @param child the operand
 */
public record IsNull(Expr child) implements Expr {
  @Override
  public DataType type() {
    return DataType.BOOLEAN;
  }

  @Override
  public List<Expr> children() {
    return List.of(child);
  }
}
