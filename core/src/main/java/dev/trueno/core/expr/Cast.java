package dev.trueno.core.expr;

import java.util.List;

/**
 * A conversion between supported types, with Spark's rules (truncation toward zero from floating to
 * integral, HALF_UP rounding to decimals, wrapping or NULL on overflow unless ANSI).
 *
 * @param child the value to convert
 * @param type the target type
 * @param ansi whether overflow and invalid input raise errors instead of giving NULL
 */
public record Cast(Expr child, dev.trueno.core.types.DataType type, boolean ansi) implements Expr {
  @Override
  public List<Expr> children() {
    return List.of(child);
  }
}
