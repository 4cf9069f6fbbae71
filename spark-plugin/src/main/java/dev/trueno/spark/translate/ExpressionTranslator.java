package dev.trueno.spark.translate;

import dev.trueno.core.expr.And;
import dev.trueno.core.expr.Arithmetic;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.CaseWhen;
import dev.trueno.core.expr.Coalesce;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.In;
import dev.trueno.core.expr.IsNotNull;
import dev.trueno.core.expr.IsNull;
import dev.trueno.core.expr.Negate;
import dev.trueno.core.expr.Not;
import dev.trueno.core.expr.Or;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Utf8;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.expressions.Add;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.BinaryArithmetic;
import org.apache.spark.sql.catalyst.expressions.BinaryComparison;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Cast;
import org.apache.spark.sql.catalyst.expressions.Divide;
import org.apache.spark.sql.catalyst.expressions.EqualNullSafe;
import org.apache.spark.sql.catalyst.expressions.EqualTo;
import org.apache.spark.sql.catalyst.expressions.EvalMode;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GreaterThan;
import org.apache.spark.sql.catalyst.expressions.GreaterThanOrEqual;
import org.apache.spark.sql.catalyst.expressions.If;
import org.apache.spark.sql.catalyst.expressions.InSet;
import org.apache.spark.sql.catalyst.expressions.KnownFloatingPointNormalized;
import org.apache.spark.sql.catalyst.expressions.LessThan;
import org.apache.spark.sql.catalyst.expressions.LessThanOrEqual;
import org.apache.spark.sql.catalyst.expressions.Multiply;
import org.apache.spark.sql.catalyst.expressions.Remainder;
import org.apache.spark.sql.catalyst.expressions.Subtract;
import org.apache.spark.sql.catalyst.expressions.UnaryMinus;
import org.apache.spark.sql.catalyst.optimizer.NormalizeNaNAndZero;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Enumeration;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Translates Catalyst expressions into the Trueno IR over a known list of input attributes, or
 * throws {@link Unsupported} with a reason a user can read.
 */
final class ExpressionTranslator {
  private final Map<ExprId, Integer> ordinals = new HashMap<>();
  private final List<Attribute> input;

  ExpressionTranslator(List<Attribute> input) {
    this.input = List.copyOf(input);
    for (int i = 0; i < input.size(); i++) {
      ordinals.putIfAbsent(input.get(i).exprId(), i);
    }
  }

  Expr translate(Expression e) {
    DataType type = SparkTypes.toTrueno(e.dataType(), "Expression " + e.sql());
    if (e instanceof Alias a) {
      return translate(a.child());
    }
    if (e instanceof KnownFloatingPointNormalized n) {
      // Backends normalize NaN and -0.0 in grouping keys themselves.
      return translate(n.child());
    }
    if (e instanceof NormalizeNaNAndZero n) {
      return translate(n.child());
    }
    if (e instanceof Attribute a) {
      Integer ordinal = ordinals.get(a.exprId());
      if (ordinal == null) {
        throw new Unsupported("column " + a.sql() + " is not an input of the operator");
      }
      return new ColumnRef(ordinal, type, a.name());
    }
    if (e instanceof BoundReference b) {
      return new ColumnRef(b.ordinal(), type, input.get(b.ordinal()).name());
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.Literal l) {
      return literal(l.value(), type);
    }
    if (e instanceof BinaryArithmetic b) {
      return arithmetic(b, type);
    }
    if (e instanceof UnaryMinus m) {
      return new Negate(translate(m.child()), m.failOnError());
    }
    if (e instanceof BinaryComparison c) {
      return comparison(c);
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.And a) {
      return new And(translate(a.left()), translate(a.right()));
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.Or o) {
      return new Or(translate(o.left()), translate(o.right()));
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.Not n) {
      return new Not(translate(n.child()));
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.IsNull n) {
      return new IsNull(translate(n.child()));
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.IsNotNull n) {
      return new IsNotNull(translate(n.child()));
    }
    if (e instanceof Cast c) {
      SparkTypes.toTrueno(c.child().dataType(), "Expression " + c.child().sql());
      return new dev.trueno.core.expr.Cast(translate(c.child()), type, ansi(c.evalMode(), e));
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.CaseWhen c) {
      List<CaseWhen.Branch> branches = new ArrayList<>();
      for (Tuple2<Expression, Expression> b : CollectionConverters.asJava(c.branches())) {
        branches.add(new CaseWhen.Branch(translate(b._1()), translate(b._2())));
      }
      Expr otherwise = c.elseValue().isDefined() ? translate(c.elseValue().get()) : null;
      return new CaseWhen(branches, otherwise, type);
    }
    if (e instanceof If i) {
      return new CaseWhen(
          List.of(new CaseWhen.Branch(translate(i.predicate()), translate(i.trueValue()))),
          translate(i.falseValue()),
          type);
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.In in) {
      Expr value = translate(in.value());
      List<dev.trueno.core.expr.Literal> list = new ArrayList<>();
      for (Expression item : CollectionConverters.asJava(in.list())) {
        if (!(item instanceof org.apache.spark.sql.catalyst.expressions.Literal l)) {
          throw new Unsupported(
              "IN with a non-literal element " + item.sql() + " is not supported");
        }
        list.add(literal(l.value(), value.type()));
      }
      return new In(value, list);
    }
    if (e instanceof InSet in) {
      Expr value = translate(in.child());
      List<dev.trueno.core.expr.Literal> list = new ArrayList<>();
      for (Object item : CollectionConverters.asJava(in.hset())) {
        list.add(literal(item, value.type()));
      }
      return new In(value, list);
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.Coalesce c) {
      List<Expr> args = new ArrayList<>();
      for (Expression arg : CollectionConverters.asJava(c.children())) {
        args.add(translate(arg));
      }
      return new Coalesce(args, type);
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.UnscaledValue u) {
      return new dev.trueno.core.expr.UnscaledValue(translate(u.child()));
    }
    if (e instanceof org.apache.spark.sql.catalyst.expressions.MakeDecimal m) {
      return new dev.trueno.core.expr.MakeDecimal(translate(m.child()), type, m.nullOnOverflow());
    }
    throw new Unsupported("expression " + e.prettyName() + " (" + e.sql() + ") is not supported");
  }

  private Expr arithmetic(BinaryArithmetic b, DataType type) {
    ArithmeticOp op;
    if (b instanceof Add) {
      op = ArithmeticOp.ADD;
    } else if (b instanceof Subtract) {
      op = ArithmeticOp.SUBTRACT;
    } else if (b instanceof Multiply) {
      op = ArithmeticOp.MULTIPLY;
    } else if (b instanceof Divide) {
      op = ArithmeticOp.DIVIDE;
    } else if (b instanceof Remainder) {
      op = ArithmeticOp.REMAINDER;
    } else {
      throw new Unsupported("operator " + b.symbol() + " (" + b.sql() + ") is not supported");
    }
    if (!type.kind().isNumeric()) {
      throw new Unsupported("arithmetic on " + type + " (" + b.sql() + ") is not supported");
    }
    return new Arithmetic(
        op, translate(b.left()), translate(b.right()), type, ansi(b.evalMode(), b));
  }

  private Expr comparison(BinaryComparison c) {
    ComparisonOp op;
    if (c instanceof EqualTo) {
      op = ComparisonOp.EQUAL;
    } else if (c instanceof EqualNullSafe) {
      op = ComparisonOp.NULL_SAFE_EQUAL;
    } else if (c instanceof LessThan) {
      op = ComparisonOp.LESS_THAN;
    } else if (c instanceof LessThanOrEqual) {
      op = ComparisonOp.LESS_THAN_OR_EQUAL;
    } else if (c instanceof GreaterThan) {
      op = ComparisonOp.GREATER_THAN;
    } else if (c instanceof GreaterThanOrEqual) {
      op = ComparisonOp.GREATER_THAN_OR_EQUAL;
    } else {
      throw new Unsupported("comparison " + c.symbol() + " is not supported");
    }
    Expr left = translate(c.left());
    Expr right = translate(c.right());
    if (left.type().kind() != right.type().kind()) {
      throw new Unsupported(
          "comparison of " + left.type() + " with " + right.type() + " is not supported");
    }
    return new Comparison(op, left, right);
  }

  private static boolean ansi(Enumeration.Value mode, Expression e) {
    if (mode == EvalMode.ANSI()) {
      return true;
    }
    if (mode == EvalMode.LEGACY()) {
      return false;
    }
    throw new Unsupported("TRY evaluation (" + e.sql() + ") is not supported");
  }

  /** A Catalyst literal value in the physical form of the Trueno type. */
  static dev.trueno.core.expr.Literal literal(Object v, DataType type) {
    if (v == null) {
      return new dev.trueno.core.expr.Literal(null, type);
    }
    Object value =
        switch (type.kind()) {
          case BOOLEAN -> (Boolean) v;
          case BYTE, SHORT, INT, LONG, DATE, TIMESTAMP -> ((Number) v).longValue();
          case FLOAT, DOUBLE -> ((Number) v).doubleValue();
          case DECIMAL -> {
            BigDecimal d =
                v instanceof Decimal dec ? dec.toJavaBigDecimal() : new BigDecimal(v.toString());
            yield d.setScale(type.scale(), java.math.RoundingMode.UNNECESSARY);
          }
          case STRING -> Utf8.wrap(((UTF8String) v).getBytes());
        };
    return new dev.trueno.core.expr.Literal(value, type);
  }
}
