package dev.trueno.simd.scalar;

import dev.trueno.core.expr.Arithmetic;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.Cast;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.In;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.expr.MakeDecimal;
import dev.trueno.core.expr.Negate;
import dev.trueno.core.expr.UnscaledValue;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import java.util.ArrayList;
import java.util.List;

/** Decides whether the scalar backend reproduces a plan exactly, and says why not. */
final class SupportCheck {
  private SupportCheck() {}

  /** A readable reason the plan cannot run exactly, or null when it can. */
  static String unsupportedReason(AggregatePlan plan) {
    List<Field> input = plan.input();
    for (Expr key : plan.groupingKeys()) {
      String reason = expr(key, input);
      if (reason != null) {
        return "grouping key: " + reason;
      }
    }
    for (int i = 0; i < plan.calls().size(); i++) {
      String reason = call(plan.calls().get(i), plan, input);
      if (reason != null) {
        return "aggregate " + i + " (" + plan.calls().get(i).function() + "): " + reason;
      }
    }
    if (plan.mode().outputsResults() && !plan.resultProjection().isEmpty()) {
      List<Field> aggregateOutput = plan.aggregateOutput();
      for (Expr e : plan.resultProjection()) {
        String reason = expr(e, aggregateOutput);
        if (reason != null) {
          return "result expression: " + reason;
        }
      }
    }
    return null;
  }

  /** A readable reason the join cannot run exactly, or null when it can. */
  static String unsupportedReason(JoinPlan plan) {
    for (int k = 0; k < plan.leftKeys().size(); k++) {
      Expr left = plan.leftKeys().get(k);
      Expr right = plan.rightKeys().get(k);
      String reason = expr(left, plan.left());
      if (reason != null) {
        return "left join key " + k + ": " + reason;
      }
      reason = expr(right, plan.right());
      if (reason != null) {
        return "right join key " + k + ": " + reason;
      }
      if (!left.type().equals(right.type())) {
        return "join key "
            + k
            + " compares "
            + left.type()
            + " with "
            + right.type()
            + "; Spark casts both keys to one type before planning a hash join";
      }
    }
    Expr condition = plan.condition();
    if (condition != null) {
      List<Field> joined = new ArrayList<>(plan.left());
      joined.addAll(plan.right());
      String reason = expr(condition, joined);
      if (reason != null) {
        return "join condition: " + reason;
      }
      if (condition.type().kind() != TypeKind.BOOLEAN) {
        return "join condition is " + condition.type() + ", not boolean";
      }
    }
    return null;
  }

  private static String call(AggregateCall call, AggregatePlan plan, List<Field> input) {
    DataType arg = call.argumentType();
    AggregateFunction f = call.function();
    if ((f == AggregateFunction.SUM || f == AggregateFunction.AVG) && !arg.kind().isNumeric()) {
      return f + " over " + arg + " is not supported";
    }
    DataType expected =
        switch (f) {
          case SUM -> AggregateCall.sumType(arg);
          case AVG -> AggregateCall.avgResultType(arg);
          case COUNT, COUNT_STAR -> DataType.LONG;
          case MIN, MAX -> arg;
        };
    if (!expected.equals(call.resultType())) {
      return "result type "
          + call.resultType()
          + " differs from Spark's "
          + expected
          + " for an argument of type "
          + arg;
    }
    if (plan.mode().mergesBuffers()) {
      List<Field> buffer = call.bufferFields();
      if (call.bufferOrdinals().size() != buffer.size()) {
        return "expected " + buffer.size() + " buffer columns, got " + call.bufferOrdinals().size();
      }
      for (int b = 0; b < buffer.size(); b++) {
        int ordinal = call.bufferOrdinals().get(b);
        if (ordinal < 0 || ordinal >= input.size()) {
          return "buffer column " + ordinal + " is outside the input";
        }
        if (!input.get(ordinal).type().equals(buffer.get(b).type())) {
          return "buffer column "
              + input.get(ordinal).name()
              + " has type "
              + input.get(ordinal).type()
              + ", Spark's buffer layout needs "
              + buffer.get(b).type();
        }
      }
      return null;
    }
    if (call.filter() != null) {
      String reason = expr(call.filter(), input);
      if (reason != null) {
        return "filter: " + reason;
      }
      if (call.filter().type().kind() != TypeKind.BOOLEAN) {
        return "filter is not boolean";
      }
    }
    if (f == AggregateFunction.COUNT_STAR) {
      return null;
    }
    if (call.argument() == null) {
      return "missing argument";
    }
    if (!call.argument().type().equals(arg)) {
      return "argument type " + call.argument().type() + " differs from the declared " + arg;
    }
    return expr(call.argument(), input);
  }

  /** A reason {@code e} (over columns {@code input}) cannot be evaluated exactly, or null. */
  static String expr(Expr e, List<Field> input) {
    String reason = node(e, input);
    if (reason != null) {
      return reason;
    }
    for (Expr child : e.children()) {
      reason = expr(child, input);
      if (reason != null) {
        return reason;
      }
    }
    return null;
  }

  private static String node(Expr e, List<Field> input) {
    if (e instanceof ColumnRef c) {
      if (c.ordinal() < 0 || c.ordinal() >= input.size()) {
        return "column " + c.name() + " (ordinal " + c.ordinal() + ") is outside the input";
      }
      if (!input.get(c.ordinal()).type().equals(c.type())) {
        return "column " + c.name() + " is " + input.get(c.ordinal()).type() + ", not " + c.type();
      }
    } else if (e instanceof Cast c) {
      if (!Casts.supported(c.child().type(), c.type())) {
        return "cast from "
            + c.child().type()
            + " to "
            + c.type()
            + " is not supported by the scalar backend (only casts among boolean and numeric"
            + " types)";
      }
    } else if (e instanceof Arithmetic a) {
      return arithmetic(a);
    } else if (e instanceof Negate n) {
      if (!n.type().kind().isNumeric()) {
        return "negation of " + n.type() + " is not supported";
      }
    } else if (e instanceof Comparison c) {
      if (!comparable(c.left().type(), c.right().type())) {
        return "comparison of "
            + c.left().type()
            + " with "
            + c.right().type()
            + " is not supported";
      }
    } else if (e instanceof UnscaledValue u) {
      if (!u.child().type().isDecimal() || u.child().type().precision() > 18) {
        return "UnscaledValue of " + u.child().type() + " is not supported";
      }
    } else if (e instanceof MakeDecimal m) {
      if (m.child().type().kind() != dev.trueno.core.types.TypeKind.LONG
          || !m.type().isDecimal()
          || m.type().precision() > 18) {
        return "MakeDecimal of " + m.child().type() + " to " + m.type() + " is not supported";
      }
    } else if (e instanceof In in) {
      for (Literal l : in.list()) {
        if (!comparable(in.value().type(), l.type())) {
          return "IN compares " + in.value().type() + " with a " + l.type() + " literal";
        }
      }
    }
    return null;
  }

  private static boolean comparable(DataType left, DataType right) {
    if (left.isDecimal() && right.isDecimal()) {
      return true;
    }
    if (left.isLongBacked() && right.isLongBacked()) {
      // Same physical form, and Spark only compares these after coercing to one type.
      return left.kind() == right.kind() || left.kind().isIntegral() && right.kind().isIntegral();
    }
    return left.equals(right);
  }

  private static String arithmetic(Arithmetic a) {
    DataType l = a.left().type();
    DataType r = a.right().type();
    DataType t = a.type();
    if (t.isDecimal()) {
      return l.isDecimal() && r.isDecimal()
          ? null
          : "decimal " + a.op().symbol() + " needs decimal operands, got " + l + " and " + r;
    }
    if (!t.kind().isNumeric() || !l.equals(t) || !r.equals(t)) {
      return "arithmetic "
          + l
          + " "
          + a.op().symbol()
          + " "
          + r
          + " -> "
          + t
          + " is not supported (operands must already have the result type)";
    }
    if (a.op() == ArithmeticOp.DIVIDE && t.kind().isIntegral()) {
      return "integral division (div) is not supported; Spark's / works on double or decimal";
    }
    return null;
  }
}
