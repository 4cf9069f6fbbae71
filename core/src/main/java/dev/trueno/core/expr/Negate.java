package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * Unary minus.
 *
 * @param child the operand
 * @param ansi whether negating the smallest integer raises an overflow error
 */
public record Negate(Expr child, boolean ansi) implements Expr {
  @Override
  public DataType type() {
    return child.type();
  }

  @Override
  public List<Expr> children() {
    return List.of(child);
  }
}
