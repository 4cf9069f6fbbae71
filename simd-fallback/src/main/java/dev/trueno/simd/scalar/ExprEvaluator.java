package dev.trueno.simd.scalar;

import dev.trueno.core.expr.And;
import dev.trueno.core.expr.Arithmetic;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.CaseWhen;
import dev.trueno.core.expr.Cast;
import dev.trueno.core.expr.Coalesce;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.In;
import dev.trueno.core.expr.IsNotNull;
import dev.trueno.core.expr.IsNull;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.expr.MakeDecimal;
import dev.trueno.core.expr.Negate;
import dev.trueno.core.expr.Not;
import dev.trueno.core.expr.Or;
import dev.trueno.core.expr.UnscaledValue;
import java.math.BigDecimal;

/**
 * Evaluates core IR expressions one row at a time with Spark's semantics, including the order in
 * which Spark evaluates operands (which decides whether an ANSI error in an operand is raised).
 */
final class ExprEvaluator {
  private ExprEvaluator() {}

  /** The value of {@code expr} over {@code row}, or null for SQL NULL. */
  static Object eval(Expr expr, RowValues row) {
    if (expr instanceof ColumnRef c) {
      return row.value(c.ordinal());
    }
    if (expr instanceof Literal l) {
      return literal(l);
    }
    if (expr instanceof Arithmetic a) {
      return arithmetic(a, row);
    }
    if (expr instanceof Negate n) {
      Object v = eval(n.child(), row);
      return v == null ? null : ArithmeticEval.negate(v, n.type(), n.ansi());
    }
    if (expr instanceof Comparison c) {
      return comparison(c, row);
    }
    if (expr instanceof And a) {
      return and(a, row);
    }
    if (expr instanceof Or o) {
      return or(o, row);
    }
    if (expr instanceof Not n) {
      Object v = eval(n.child(), row);
      return v == null ? null : !(Boolean) v;
    }
    if (expr instanceof IsNull n) {
      return eval(n.child(), row) == null;
    }
    if (expr instanceof IsNotNull n) {
      return eval(n.child(), row) != null;
    }
    if (expr instanceof Cast c) {
      Object v = eval(c.child(), row);
      return v == null ? null : Casts.cast(v, c.child().type(), c.type(), c.ansi());
    }
    if (expr instanceof CaseWhen c) {
      return caseWhen(c, row);
    }
    if (expr instanceof In in) {
      return in(in, row);
    }
    if (expr instanceof Coalesce c) {
      return coalesce(c, row);
    }
    if (expr instanceof UnscaledValue u) {
      Object v = eval(u.child(), row);
      return v == null ? null : ((BigDecimal) v).unscaledValue().longValueExact();
    }
    if (expr instanceof MakeDecimal m) {
      Object v = eval(m.child(), row);
      return v == null ? null : SparkDecimals.makeDecimal((Long) v, m.type(), m.nullOnOverflow());
    }
    throw new IllegalStateException("Unknown expression " + expr);
  }

  /** True only when the value is TRUE (not NULL, not false), as filters and CASE test. */
  static boolean isTrue(Object value) {
    return value instanceof Boolean b && b;
  }

  private static Object literal(Literal l) {
    Object v = l.value();
    // Tolerate boxed forms other engines hand us (Integer, Float) by widening to the IR's form.
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Float f) {
      return (double) f;
    }
    if (v instanceof BigDecimal d && l.type().isDecimal() && d.scale() != l.type().scale()) {
      return d.setScale(l.type().scale());
    }
    return v;
  }

  private static Object arithmetic(Arithmetic a, RowValues row) {
    if (a.op() == ArithmeticOp.DIVIDE || a.op() == ArithmeticOp.REMAINDER) {
      // DivModLike evaluates the divisor first and, without ANSI, skips the dividend when the
      // divisor is NULL or zero.
      Object right = eval(a.right(), row);
      if (right == null || (!a.ansi() && ArithmeticEval.isZero(right))) {
        return null;
      }
      Object left = eval(a.left(), row);
      if (left == null) {
        return null;
      }
      return ArithmeticEval.apply(a.op(), left, right, a.left().type(), a.type(), a.ansi());
    }
    Object left = eval(a.left(), row);
    if (left == null) {
      return null;
    }
    Object right = eval(a.right(), row);
    if (right == null) {
      return null;
    }
    return ArithmeticEval.apply(a.op(), left, right, a.left().type(), a.type(), a.ansi());
  }

  private static Object comparison(Comparison c, RowValues row) {
    Object left = eval(c.left(), row);
    if (left == null && c.op() != ComparisonOp.NULL_SAFE_EQUAL) {
      // Null-intolerant: Spark does not evaluate the right side then.
      return null;
    }
    Object right = eval(c.right(), row);
    if (c.op() == ComparisonOp.NULL_SAFE_EQUAL) {
      if (left == null || right == null) {
        return left == null && right == null;
      }
      return SqlOrdering.compare(left, right) == 0;
    }
    if (left == null || right == null) {
      return null;
    }
    int cmp = SqlOrdering.compare(left, right);
    return switch (c.op()) {
      case EQUAL -> cmp == 0;
      case LESS_THAN -> cmp < 0;
      case LESS_THAN_OR_EQUAL -> cmp <= 0;
      case GREATER_THAN -> cmp > 0;
      case GREATER_THAN_OR_EQUAL -> cmp >= 0;
      case NULL_SAFE_EQUAL -> throw new IllegalStateException("handled above");
    };
  }

  private static Object and(And a, RowValues row) {
    Object left = eval(a.left(), row);
    if (Boolean.FALSE.equals(left)) {
      return false;
    }
    Object right = eval(a.right(), row);
    if (Boolean.FALSE.equals(right)) {
      return false;
    }
    return left == null || right == null ? null : true;
  }

  private static Object or(Or o, RowValues row) {
    Object left = eval(o.left(), row);
    if (Boolean.TRUE.equals(left)) {
      return true;
    }
    Object right = eval(o.right(), row);
    if (Boolean.TRUE.equals(right)) {
      return true;
    }
    return left == null || right == null ? null : false;
  }

  private static Object caseWhen(CaseWhen c, RowValues row) {
    for (CaseWhen.Branch b : c.branches()) {
      if (isTrue(eval(b.condition(), row))) {
        return eval(b.value(), row);
      }
    }
    return c.elseValue() == null ? null : eval(c.elseValue(), row);
  }

  private static Object in(In in, RowValues row) {
    Object value = eval(in.value(), row);
    if (value == null) {
      return null;
    }
    boolean sawNull = false;
    for (Literal l : in.list()) {
      Object candidate = literal(l);
      if (candidate == null) {
        sawNull = true;
      } else if (SqlOrdering.compare(value, candidate) == 0) {
        return true;
      }
    }
    return sawNull ? null : false;
  }

  private static Object coalesce(Coalesce c, RowValues row) {
    for (Expr arg : c.args()) {
      Object v = eval(arg, row);
      if (v != null) {
        return v;
      }
    }
    return null;
  }
}
