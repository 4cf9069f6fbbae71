package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * A binary arithmetic operation. Both operands already have the type Spark coerced them to (for
 * decimals, each keeps its own precision and scale; the result type is Spark's).
 *
 * @param op the operation
 * @param left the left operand
 * @param right the right operand
 * @param type the result type
 * @param ansi whether overflow and division by zero raise errors (ANSI) or give NULL / wrap
 */
public record Arithmetic(ArithmeticOp op, Expr left, Expr right, DataType type, boolean ansi)
    implements Expr {
  @Override
  public List<Expr> children() {
    return List.of(left, right);
  }
}
