package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code value IN (literal, ...)} with SQL semantics: NULL when the value is NULL, or when no
 * element matches and some element is NULL.
 *
 * @param value the tested value
 * @param list the literals, of the value's type
 */
public record In(Expr value, List<Literal> list) implements Expr {

  /** Copies the list. */
  public In {
    list = List.copyOf(list);
  }

  @Override
  public DataType type() {
    return DataType.BOOLEAN;
  }

  @Override
  public List<Expr> children() {
    List<Expr> all = new ArrayList<>();
    all.add(value);
    all.addAll(list);
    return all;
  }
}
