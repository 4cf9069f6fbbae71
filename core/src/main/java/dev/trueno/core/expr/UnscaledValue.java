package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * The unscaled long of a decimal of precision 18 or less (Spark's {@code UnscaledValue}, which its
 * optimizer puts under SUM and AVG of small decimals so they run on longs).
 *
 * @param child a decimal of precision at most 18
 */
public record UnscaledValue(Expr child) implements Expr {
  @Override
  public DataType type() {
    return DataType.LONG;
  }

  @Override
  public List<Expr> children() {
    return List.of(child);
  }
}
