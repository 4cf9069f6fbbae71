package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * A column of the input batch.
 *
 * @param ordinal the column's position in the input batch
 * @param type its type
 * @param name its name, for messages
 */
public record ColumnRef(int ordinal, DataType type, String name) implements Expr {
  @Override
  public List<Expr> children() {
    return List.of();
  }
}
