package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * The first non-NULL argument, or NULL.
 *
 * @param args the arguments, all of the result type
 * @param type the result type
 */
public record Coalesce(List<Expr> args, DataType type) implements Expr {

  /** Copies the arguments. */
  public Coalesce {
    args = List.copyOf(args);
  }

  @Override
  public List<Expr> children() {
    return args;
  }
}
