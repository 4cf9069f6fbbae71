package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * {@code IS NOT NULL}: false for NULL, never NULL itself.
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
