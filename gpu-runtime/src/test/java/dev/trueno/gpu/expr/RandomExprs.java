package dev.trueno.gpu.expr;

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
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded random expression trees (every construct the GPU supports, ANSI on and off) and rows with
 * the values that break implementations: NULL, NaN, -0.0, infinities, MIN and MAX, the widest
 * decimals.
 */
final class RandomExprs {
  static final List<Field> SCHEMA =
      List.of(
          new Field("b", DataType.BOOLEAN, true),
          new Field("i8", DataType.BYTE, true),
          new Field("i16", DataType.SHORT, true),
          new Field("i32", DataType.INT, true),
          new Field("i64", DataType.LONG, true),
          new Field("f32", DataType.FLOAT, true),
          new Field("f64", DataType.DOUBLE, true),
          new Field("day", DataType.DATE, true),
          new Field("d10", DataType.decimal(10, 2), true),
          new Field("d18", DataType.decimal(18, 4), true),
          new Field("d5", DataType.decimal(5, 0), true));

  static final List<DataType> TYPES = SCHEMA.stream().map(Field::type).toList();

  private static final DataType[] DECIMALS = {
    DataType.decimal(10, 2), DataType.decimal(18, 4), DataType.decimal(5, 0), DataType.decimal(3, 3)
  };

  private final Random r;

  RandomExprs(long seed) {
    this.r = new Random(seed);
  }

  DataType anyType() {
    return r.nextInt(5) == 0
        ? DECIMALS[r.nextInt(DECIMALS.length)]
        : TYPES.get(r.nextInt(TYPES.size()));
  }

  /** A random expression of type {@code t}, at most {@code depth} levels deep. */
  Expr expr(DataType t, int depth) {
    if (depth <= 0 || r.nextInt(5) == 0) {
      return leaf(t);
    }
    int d = depth - 1;
    switch (r.nextInt(4)) {
      case 0:
        return caseWhen(t, d);
      case 1:
        return coalesce(t, d);
      default:
        break;
    }
    return switch (t.kind()) {
      case BOOLEAN -> bool(d);
      case BYTE, SHORT, INT, LONG -> integral(t, d);
      case FLOAT, DOUBLE -> floating(t, d);
      case DECIMAL -> decimal(t, d);
      default -> leaf(t);
    };
  }

  private Expr leaf(DataType t) {
    for (int i = 0; i < SCHEMA.size(); i++) {
      if (TYPES.get(i).equals(t) && r.nextInt(3) != 0) {
        return new ColumnRef(i, t, SCHEMA.get(i).name());
      }
    }
    return new Literal(value(t), t);
  }

  private Expr caseWhen(DataType t, int d) {
    List<CaseWhen.Branch> branches = new ArrayList<>();
    int n = 1 + r.nextInt(2);
    for (int i = 0; i < n; i++) {
      branches.add(new CaseWhen.Branch(expr(DataType.BOOLEAN, d), expr(t, d)));
    }
    return new CaseWhen(branches, r.nextBoolean() ? expr(t, d) : null, t);
  }

  private Expr coalesce(DataType t, int d) {
    List<Expr> args = new ArrayList<>();
    int n = 1 + r.nextInt(3);
    for (int i = 0; i < n; i++) {
      args.add(expr(t, d));
    }
    return new Coalesce(args, t);
  }

  private Expr bool(int d) {
    switch (r.nextInt(8)) {
      case 0:
        {
          DataType t = anyType();
          DataType u = t;
          if (t.kind().isIntegral() && r.nextBoolean()) {
            u = TYPES.get(1 + r.nextInt(4));
          } else if (t.isDecimal()) {
            u = DECIMALS[r.nextInt(DECIMALS.length)];
          }
          ComparisonOp op = ComparisonOp.values()[r.nextInt(ComparisonOp.values().length)];
          return new Comparison(op, expr(t, d), expr(u, d));
        }
      case 1:
        return new And(expr(DataType.BOOLEAN, d), expr(DataType.BOOLEAN, d));
      case 2:
        return new Or(expr(DataType.BOOLEAN, d), expr(DataType.BOOLEAN, d));
      case 3:
        return new Not(expr(DataType.BOOLEAN, d));
      case 4:
        return r.nextBoolean() ? new IsNull(expr(anyType(), d)) : new IsNotNull(expr(anyType(), d));
      case 5:
        {
          DataType t = anyType();
          List<Literal> list = new ArrayList<>();
          int n = 1 + r.nextInt(4);
          for (int i = 0; i < n; i++) {
            DataType lt = t.isDecimal() ? DECIMALS[r.nextInt(DECIMALS.length)] : t;
            list.add(new Literal(value(lt), lt));
          }
          return new In(expr(t, d), list);
        }
      default:
        return cast(DataType.BOOLEAN, d);
    }
  }

  private Expr integral(DataType t, int d) {
    switch (r.nextInt(5)) {
      case 0:
      case 1:
        {
          ArithmeticOp op =
              new ArithmeticOp[] {
                    ArithmeticOp.ADD,
                    ArithmeticOp.SUBTRACT,
                    ArithmeticOp.MULTIPLY,
                    ArithmeticOp.REMAINDER
                  }
                  [r.nextInt(4)];
          return new Arithmetic(op, expr(t, d), expr(t, d), t, r.nextBoolean());
        }
      case 2:
        return new Negate(expr(t, d), r.nextBoolean());
      case 3:
        if (t.kind() == TypeKind.LONG && r.nextBoolean()) {
          return new UnscaledValue(expr(DECIMALS[r.nextInt(DECIMALS.length)], d));
        }
        return cast(t, d);
      default:
        return cast(t, d);
    }
  }

  private Expr floating(DataType t, int d) {
    switch (r.nextInt(4)) {
      case 0:
      case 1:
        {
          ArithmeticOp op = ArithmeticOp.values()[r.nextInt(ArithmeticOp.values().length)];
          return new Arithmetic(op, expr(t, d), expr(t, d), t, r.nextBoolean());
        }
      case 2:
        return new Negate(expr(t, d), r.nextBoolean());
      default:
        return cast(t, d);
    }
  }

  private Expr decimal(DataType t, int d) {
    switch (r.nextInt(5)) {
      case 0:
      case 1:
        {
          ArithmeticOp op =
              new ArithmeticOp[] {ArithmeticOp.ADD, ArithmeticOp.SUBTRACT, ArithmeticOp.MULTIPLY}
                  [r.nextInt(3)];
          DataType a = DECIMALS[r.nextInt(DECIMALS.length)];
          DataType b = DECIMALS[r.nextInt(DECIMALS.length)];
          return new Arithmetic(op, expr(a, d), expr(b, d), t, r.nextBoolean());
        }
      case 2:
        return new Negate(expr(t, d), r.nextBoolean());
      case 3:
        return new MakeDecimal(expr(DataType.LONG, d), t, r.nextBoolean());
      default:
        return cast(t, d);
    }
  }

  /** A cast to {@code to} from a random type the GPU casts from. */
  private Expr cast(DataType to, int d) {
    for (int attempt = 0; attempt < 20; attempt++) {
      DataType from = anyType();
      if (from.kind() == TypeKind.DATE) {
        continue;
      }
      if (ExprCompiler.typeReason(from) == null
          && DeviceExpr.unsupportedReason(new Cast(new Literal(null, from), to, false), SCHEMA)
              == null) {
        return new Cast(expr(from, d), to, r.nextBoolean());
      }
    }
    return leaf(to);
  }

  /** A random value of {@code t} in the scalar's physical form, NULL one time in seven. */
  Object value(DataType t) {
    if (r.nextInt(7) == 0) {
      return null;
    }
    return switch (t.kind()) {
      case BOOLEAN -> r.nextBoolean();
      case BYTE -> integral(Byte.MIN_VALUE, Byte.MAX_VALUE);
      case SHORT -> integral(Short.MIN_VALUE, Short.MAX_VALUE);
      case INT -> integral(Integer.MIN_VALUE, Integer.MAX_VALUE);
      case LONG -> integral(Long.MIN_VALUE, Long.MAX_VALUE);
      case DATE -> (long) (r.nextInt(40_000) - 10_000);
      case FLOAT -> (double) (float) floatingValue();
      case DOUBLE -> floatingValue();
      case DECIMAL -> decimalValue(t);
      default -> throw new IllegalArgumentException(t.toString());
    };
  }

  private long integral(long min, long max) {
    return switch (r.nextInt(8)) {
      case 0 -> min;
      case 1 -> max;
      case 2 -> 0L;
      case 3 -> r.nextBoolean() ? 1L : -1L;
      case 4 -> r.nextInt(200) - 100L;
      default -> min + (long) (r.nextDouble() * ((double) max - (double) min));
    };
  }

  private double floatingValue() {
    double[] special = {
      Double.NaN,
      0.0,
      -0.0,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      Double.MAX_VALUE,
      Double.MIN_VALUE,
      9.223372036854775807E18,
      -9.223372036854775808E18,
      2147483647.5,
      -2147483648.9,
      3e9,
      127.9,
      -128.5,
      0.5,
      2.5,
      1e19
    };
    if (r.nextInt(3) == 0) {
      return special[r.nextInt(special.length)];
    }
    return (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(25) - 5);
  }

  private BigDecimal decimalValue(DataType t) {
    BigInteger max = BigInteger.TEN.pow(t.precision()).subtract(BigInteger.ONE);
    BigInteger u =
        switch (r.nextInt(5)) {
          case 0 -> max;
          case 1 -> max.negate();
          case 2 -> BigInteger.ZERO;
          default -> BigInteger.valueOf((long) ((r.nextDouble() * 2 - 1) * max.doubleValue()));
        };
    if (u.abs().compareTo(max) > 0) {
      u = max;
    }
    return new BigDecimal(u, t.scale());
  }

  /** A row of the schema. */
  Object[] row() {
    Object[] row = new Object[SCHEMA.size()];
    for (int i = 0; i < row.length; i++) {
      row[i] = value(TYPES.get(i));
    }
    return row;
  }

  /** The scalar's value and the GPU's are the same SQL value (NaN equal, -0.0 distinct). */
  static boolean same(Object a, Object b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a instanceof BigDecimal x && b instanceof BigDecimal y) {
      return x.compareTo(y) == 0;
    }
    return a.equals(b);
  }
}
