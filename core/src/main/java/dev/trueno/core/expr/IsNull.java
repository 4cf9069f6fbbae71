package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * {@code IS NULL}: true for NULL, never NULL itself.
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
