package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code CASE WHEN c1 THEN v1 ... ELSE e END} (and {@code IF}): the first branch whose condition is
 * true (not NULL, not false) gives the value; otherwise the else value, or NULL without one.
 *
 * @param branches the condition/value pairs, in order
 * @param elseValue the value when no condition is true; null means NULL
 * @param type the result type (every value already has it)
 */
public record CaseWhen(List<Branch> branches, Expr elseValue, DataType type) implements Expr {

  /** Copies the branch list. */
  public CaseWhen {
    branches = List.copyOf(branches);
  }

  /**
   * One {@code WHEN condition THEN value}.
   *
   * @param condition a boolean expression
   * @param value the value when the condition is true
   */
  public record Branch(Expr condition, Expr value) implements java.io.Serializable {}

  @Override
  public List<Expr> children() {
    List<Expr> all = new ArrayList<>();
    for (Branch b : branches) {
      all.add(b.condition());
      all.add(b.value());
    }
    if (elseValue != null) {
      all.add(elseValue);
    }
    return all;
  }
}
