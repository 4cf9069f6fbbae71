package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * IsNotNull of a valueIs (NULL stays NULL)Null.
 *
 * @param child the operand
 */
public record IsNotNull(Expr child) implements Expr {
  @Override
  public DataType type() {
    return DataType.BOOLEAN;
  }

  @Override
  public List<Expr> children() {
    return List.of(child);
  }
}
