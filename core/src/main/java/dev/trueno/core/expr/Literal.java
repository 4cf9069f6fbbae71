package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * A constant, in the physical form {@link DataType} describes; {@code value} is null for NULL.
 *
 * @param value the value, or null
 * @param type its type
 */
public record Literal(Object value, DataType type) implements Expr {
  @Override
  public List<Expr> children() {
    return List.of();
  }
}
