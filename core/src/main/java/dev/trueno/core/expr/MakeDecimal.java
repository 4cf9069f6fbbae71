package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * A decimal from an unscaled long (Spark's {@code MakeDecimal}, the inverse of {@link
 * UnscaledValue}): NULL when the value does not fit the precision, or an error when {@code
 * nullOnOverflow} is false.
 *
 * @param child the unscaled long
 * @param type the decimal type
 * @param nullOnOverflow whether overflow gives NULL (non-ANSI) instead of an error
 */
public record MakeDecimal(Expr child, DataType type, boolean nullOnOverflow) implements Expr {
  @Override
  public List<Expr> children() {
    return List.of(child);
  }
}
