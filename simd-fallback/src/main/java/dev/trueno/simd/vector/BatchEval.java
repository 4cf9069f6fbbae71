package dev.trueno.simd.vector;

import dev.trueno.core.error.TruenoException;
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
import dev.trueno.core.types.TypeKind;
import dev.trueno.simd.scalar.ScalarEval;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluates IR expressions a column at a time over the rows of one batch, into primitive arrays.
 *
 * <p>Vectorized steps compute every row, including rows Spark would not evaluate (untaken CASE
 * branches, the right side of a comparison whose left is NULL). That is harmless for values but not
 * for errors, so a vectorized step never raises an ANSI error itself: it throws {@link Deopt} and
 * the caller redoes the batch row by row with the reference semantics. A node without a vectorized
 * form (decimal division, casts from strings, decimals beyond a long) is evaluated row by row
 * through {@link ScalarEval} for this batch only, so results always equal the reference's.
 */
final class BatchEval {
  /** Where column references read from. */
  interface Source {
    Col col(int ordinal);
  }

  static final long[] POW10 = new long[19];

  static {
    POW10[0] = 1;
    for (int i = 1; i < POW10.length; i++) {
      POW10[i] = POW10[i - 1] * 10;
    }
  }

  private final Source source;
  private final int n;

  BatchEval(Source source, int rows) {
    this.source = source;
    this.n = rows;
  }

  Col eval(Expr e) {
    if (e instanceof ColumnRef c) {
      return source.col(c.ordinal());
    }
    if (e instanceof Literal l) {
      return Col.constant(l.type(), ScalarEval.eval(l, ordinal -> null), n);
    }
    if (e instanceof Arithmetic a) {
      return arithmetic(a);
    }
    if (e instanceof Negate neg) {
      return negate(neg);
    }
    if (e instanceof Comparison c) {
      return comparison(c);
    }
    if (e instanceof And a) {
      return logic(eval(a.left()), eval(a.right()), true);
    }
    if (e instanceof Or o) {
      return logic(eval(o.left()), eval(o.right()), false);
    }
    if (e instanceof Not not) {
      Col c = eval(not.child());
      long[] out = new long[n];
      for (int i = 0; i < n; i++) {
        out[i] = c.longs[i] ^ 1;
      }
      return Col.longs(DataType.BOOLEAN, out, c.nulls, n);
    }
    if (e instanceof IsNull isNull) {
      return nullTest(eval(isNull.child()), 1);
    }
    if (e instanceof IsNotNull isNotNull) {
      return nullTest(eval(isNotNull.child()), 0);
    }
    if (e instanceof Cast c) {
      return cast(c);
    }
    if (e instanceof CaseWhen c) {
      return caseWhen(c);
    }
    if (e instanceof In in) {
      return in(in);
    }
    if (e instanceof Coalesce c) {
      return coalesce(c);
    }
    if (e instanceof UnscaledValue u) {
      Col c = eval(u.child());
      return c.repr == Col.LONG ? Col.longs(DataType.LONG, c.longs, c.nulls, n) : rows(e);
    }
    if (e instanceof MakeDecimal m) {
      Col c = eval(m.child());
      long[] out = c.longs;
      boolean[] nulls = c.nulls;
      int p = m.type().precision();
      for (int i = 0; i < n; i++) {
        if (!c.isNull(i) && !fits(out[i], p)) {
          if (!m.nullOnOverflow()) {
            throw Deopt.INSTANCE;
          }
          nulls = setNull(nulls == c.nulls ? copy(nulls) : nulls, i);
        }
      }
      return Col.longs(m.type(), out, nulls, n);
    }
    return rows(e);
  }

  /** Evaluates {@code e} row by row with the reference semantics. */
  Col rows(Expr e) {
    Object[] out = new Object[n];
    int[] current = new int[1];
    try {
      for (int i = 0; i < n; i++) {
        current[0] = i;
        out[i] = ScalarEval.eval(e, ordinal -> source.col(ordinal).value(current[0]));
      }
    } catch (TruenoException ex) {
      throw Deopt.INSTANCE;
    }
    return Col.fromObjects(e.type(), out, n);
  }

  // ---- helpers ----

  static boolean fits(long unscaled, int precision) {
    return precision > 18 || (unscaled < POW10[precision] && unscaled > -POW10[precision]);
  }

  private boolean[] copy(boolean[] nulls) {
    return nulls == null ? new boolean[n] : nulls.clone();
  }

  private static boolean[] setNull(boolean[] nulls, int i) {
    nulls[i] = true;
    return nulls;
  }

  private boolean[] orNulls(boolean[] a, boolean[] b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    boolean[] out = new boolean[n];
    for (int i = 0; i < n; i++) {
      out[i] = a[i] | b[i];
    }
    return out;
  }

  /** {@code v * 10^k}, or Long.MIN_VALUE-free failure signalled by returning false via caller. */
  private static long scaleUp(long v, int k) {
    return k == 0 ? v : Math.multiplyExact(v, POW10[k]);
  }

  /** HALF_UP rounding of {@code v / 10^k}, as BigDecimal.setScale(.., HALF_UP). */
  static long roundHalfUp(long v, int k) {
    if (k == 0) {
      return v;
    }
    long d = POW10[k];
    long q = v / d;
    long r = v % d;
    if (Math.abs(r) * 2 >= d) {
      q += v < 0 ? -1 : 1;
    }
    return q;
  }

  private static long wrap(long v, TypeKind kind) {
    return switch (kind) {
      case BYTE -> (byte) v;
      case SHORT -> (short) v;
      case INT -> (int) v;
      default -> v;
    };
  }

  // ---- arithmetic ----

  private Col arithmetic(Arithmetic a) {
    Col l = eval(a.left());
    Col r = eval(a.right());
    DataType t = a.type();
    if (t.isDecimal()) {
      return decimalArithmetic(a, l, r);
    }
    if (l.repr != r.repr) {
      return rows(a);
    }
    boolean[] nulls = orNulls(l.nulls, r.nulls);
    ArithmeticOp op = a.op();
    TypeKind kind = t.kind();
    if (l.repr == Col.DOUBLE) {
      double[] x = l.doubles;
      double[] y = r.doubles;
      double[] out = new double[n];
      boolean divides = op == ArithmeticOp.DIVIDE || op == ArithmeticOp.REMAINDER;
      boolean[] outNulls = nulls;
      for (int i = 0; i < n; i++) {
        if (divides && y[i] == 0 && (nulls == null || !nulls[i])) {
          if (a.ansi()) {
            throw Deopt.INSTANCE;
          }
          outNulls = setNull(outNulls == nulls ? copy(nulls) : outNulls, i);
        }
      }
      if (kind == TypeKind.FLOAT) {
        for (int i = 0; i < n; i++) {
          float p = (float) x[i];
          float q = (float) y[i];
          out[i] =
              switch (op) {
                case ADD -> p + q;
                case SUBTRACT -> p - q;
                case MULTIPLY -> p * q;
                case DIVIDE -> p / q;
                case REMAINDER -> p % q;
              };
        }
      } else {
        switch (op) {
          case ADD -> {
            for (int i = 0; i < n; i++) {
              out[i] = x[i] + y[i];
            }
          }
          case SUBTRACT -> {
            for (int i = 0; i < n; i++) {
              out[i] = x[i] - y[i];
            }
          }
          case MULTIPLY -> {
            for (int i = 0; i < n; i++) {
              out[i] = x[i] * y[i];
            }
          }
          case DIVIDE -> {
            for (int i = 0; i < n; i++) {
              out[i] = x[i] / y[i];
            }
          }
          case REMAINDER -> {
            for (int i = 0; i < n; i++) {
              out[i] = x[i] % y[i];
            }
          }
        }
      }
      return Col.doubles(t, out, outNulls, n);
    }
    if (l.repr != Col.LONG || !kind.isIntegral()) {
      return rows(a);
    }
    long[] x = l.longs;
    long[] y = r.longs;
    long[] out = new long[n];
    boolean[] outNulls = nulls;
    if (kind == TypeKind.LONG && !a.ansi() && op != ArithmeticOp.REMAINDER) {
      // Wrapping long arithmetic: tight loops the JIT turns into SIMD code.
      switch (op) {
        case ADD -> {
          for (int i = 0; i < n; i++) {
            out[i] = x[i] + y[i];
          }
        }
        case SUBTRACT -> {
          for (int i = 0; i < n; i++) {
            out[i] = x[i] - y[i];
          }
        }
        default -> {
          for (int i = 0; i < n; i++) {
            out[i] = x[i] * y[i];
          }
        }
      }
      return Col.longs(t, out, nulls, n);
    }
    for (int i = 0; i < n; i++) {
      if (nulls != null && nulls[i]) {
        continue;
      }
      long p = x[i];
      long q = y[i];
      if (op == ArithmeticOp.REMAINDER || op == ArithmeticOp.DIVIDE) {
        if (q == 0) {
          if (a.ansi()) {
            throw Deopt.INSTANCE;
          }
          outNulls = setNull(outNulls == nulls ? copy(nulls) : outNulls, i);
          continue;
        }
        out[i] = op == ArithmeticOp.REMAINDER ? p % q : p / q;
        continue;
      }
      if (kind == TypeKind.LONG) {
        try {
          out[i] =
              switch (op) {
                case ADD -> Math.addExact(p, q);
                case SUBTRACT -> Math.subtractExact(p, q);
                default -> Math.multiplyExact(p, q);
              };
        } catch (ArithmeticException ex) {
          throw Deopt.INSTANCE;
        }
        continue;
      }
      long exact =
          switch (op) {
            case ADD -> p + q;
            case SUBTRACT -> p - q;
            default -> p * q;
          };
      long narrowed = wrap(exact, kind);
      if (a.ansi() && narrowed != exact) {
        throw Deopt.INSTANCE;
      }
      out[i] = narrowed;
    }
    return Col.longs(t, out, outNulls, n);
  }

  private Col decimalArithmetic(Arithmetic a, Col l, Col r) {
    DataType t = a.type();
    DataType lt = a.left().type();
    DataType rt = a.right().type();
    ArithmeticOp op = a.op();
    if (l.repr != Col.LONG
        || r.repr != Col.LONG
        || !lt.isDecimal()
        || !rt.isDecimal()
        || op == ArithmeticOp.DIVIDE
        || op == ArithmeticOp.REMAINDER) {
      return rows(a);
    }
    boolean[] nulls = orNulls(l.nulls, r.nulls);
    boolean[] outNulls = nulls;
    long[] x = l.longs;
    long[] y = r.longs;
    long[] out = new long[n];
    int p = t.precision();
    if (op == ArithmeticOp.MULTIPLY) {
      int productScale = lt.scale() + rt.scale();
      int drop = productScale - t.scale();
      if (drop < 0 || drop > 18) {
        return rows(a);
      }
      for (int i = 0; i < n; i++) {
        if (nulls != null && nulls[i]) {
          continue;
        }
        long lo = x[i] * y[i];
        if (Math.multiplyHigh(x[i], y[i]) != (lo >> 63)) {
          // The exact product needs more than 64 bits: this batch computes the node exactly.
          return rows(a);
        }
        long v = roundHalfUp(lo, drop);
        if (!fits(v, p)) {
          if (a.ansi()) {
            throw Deopt.INSTANCE;
          }
          outNulls = setNull(outNulls == nulls ? copy(nulls) : outNulls, i);
        }
        out[i] = v;
      }
      return Col.longs(t, out, outNulls, n);
    }
    int common = Math.max(lt.scale(), rt.scale());
    if (t.scale() != common) {
      return rows(a);
    }
    int ls = common - lt.scale();
    int rs = common - rt.scale();
    boolean subtract = op == ArithmeticOp.SUBTRACT;
    try {
      for (int i = 0; i < n; i++) {
        if (nulls != null && nulls[i]) {
          continue;
        }
        long u = scaleUp(x[i], ls);
        long w = scaleUp(y[i], rs);
        long v = subtract ? Math.subtractExact(u, w) : Math.addExact(u, w);
        if (!fits(v, p)) {
          if (a.ansi()) {
            throw Deopt.INSTANCE;
          }
          outNulls = setNull(outNulls == nulls ? copy(nulls) : outNulls, i);
        }
        out[i] = v;
      }
    } catch (ArithmeticException ex) {
      return rows(a);
    }
    return Col.longs(t, out, outNulls, n);
  }

  private Col negate(Negate neg) {
    Col c = eval(neg.child());
    DataType t = neg.type();
    if (c.repr == Col.DOUBLE) {
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        out[i] = -c.doubles[i];
      }
      return Col.doubles(t, out, c.nulls, n);
    }
    if (c.repr != Col.LONG) {
      return rows(neg);
    }
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      long v = c.longs[i];
      if (c.isNull(i)) {
        continue;
      }
      if (t.isDecimal()) {
        if (v == Long.MIN_VALUE) {
          return rows(neg);
        }
        out[i] = -v;
        continue;
      }
      long negated = wrap(-v, t.kind());
      if (neg.ansi() && (negated != -v || (t.kind() == TypeKind.LONG && v == Long.MIN_VALUE))) {
        throw Deopt.INSTANCE;
      }
      out[i] = negated;
    }
    return Col.longs(t, out, c.nulls, n);
  }

  // ---- predicates ----

  private Col comparison(Comparison c) {
    Col l = eval(c.left());
    Col r = eval(c.right());
    if (l.repr != r.repr || l.repr == Col.OBJECT) {
      return rows(c);
    }
    int[] cmp = new int[n];
    boolean[] nulls = orNulls(l.nulls, r.nulls);
    switch (l.repr) {
      case Col.LONG -> {
        long[] x = l.longs;
        long[] y = r.longs;
        DataType lt = c.left().type();
        DataType rt = c.right().type();
        if (lt.isDecimal() && lt.scale() != rt.scale()) {
          int common = Math.max(lt.scale(), rt.scale());
          try {
            long[] xs = new long[n];
            long[] ys = new long[n];
            for (int i = 0; i < n; i++) {
              if (nulls == null || !nulls[i]) {
                xs[i] = scaleUp(x[i], common - lt.scale());
                ys[i] = scaleUp(y[i], common - rt.scale());
              }
            }
            x = xs;
            y = ys;
          } catch (ArithmeticException ex) {
            return rows(c);
          }
        }
        for (int i = 0; i < n; i++) {
          cmp[i] = Long.compare(x[i], y[i]);
        }
      }
      case Col.DOUBLE -> {
        double[] x = l.doubles;
        double[] y = r.doubles;
        for (int i = 0; i < n; i++) {
          // SQLOrderingUtil.compareDoubles: -0.0 == 0.0, NaN equal to itself and above all.
          cmp[i] = x[i] == y[i] ? 0 : Double.compare(x[i], y[i]);
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          if (nulls == null || !nulls[i]) {
            cmp[i] =
                Arrays.compareUnsigned(
                    l.data, l.offsets[i], l.offsets[i + 1], r.data, r.offsets[i], r.offsets[i + 1]);
          }
        }
      }
    }
    long[] out = new long[n];
    ComparisonOp op = c.op();
    for (int i = 0; i < n; i++) {
      int k = cmp[i];
      boolean b =
          switch (op) {
            case EQUAL, NULL_SAFE_EQUAL -> k == 0;
            case LESS_THAN -> k < 0;
            case LESS_THAN_OR_EQUAL -> k <= 0;
            case GREATER_THAN -> k > 0;
            case GREATER_THAN_OR_EQUAL -> k >= 0;
          };
      out[i] = b ? 1 : 0;
    }
    if (op == ComparisonOp.NULL_SAFE_EQUAL) {
      if (nulls != null) {
        for (int i = 0; i < n; i++) {
          if (nulls[i]) {
            out[i] = l.isNull(i) && r.isNull(i) ? 1 : 0;
          }
        }
      }
      return Col.longs(DataType.BOOLEAN, out, null, n);
    }
    return Col.longs(DataType.BOOLEAN, out, nulls, n);
  }

  /** AND ({@code and == true}) or OR with three-valued logic. */
  private Col logic(Col l, Col r, boolean and) {
    long[] out = new long[n];
    boolean[] nulls = null;
    long decisive = and ? 0 : 1;
    for (int i = 0; i < n; i++) {
      boolean ln = l.isNull(i);
      boolean rn = r.isNull(i);
      if ((!ln && l.longs[i] == decisive) || (!rn && r.longs[i] == decisive)) {
        out[i] = decisive;
      } else if (ln || rn) {
        if (nulls == null) {
          nulls = new boolean[n];
        }
        nulls[i] = true;
      } else {
        out[i] = 1 - decisive;
      }
    }
    return Col.longs(DataType.BOOLEAN, out, nulls, n);
  }

  private Col nullTest(Col c, long whenNull) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = c.isNull(i) ? whenNull : 1 - whenNull;
    }
    return Col.longs(DataType.BOOLEAN, out, null, n);
  }

  private Col in(In in) {
    Col c = eval(in.value());
    DataType t = in.value().type();
    if (t.isDecimal() || (c.repr != Col.LONG && c.repr != Col.DOUBLE)) {
      return rows(in);
    }
    List<Literal> list = in.list();
    boolean sawNull = false;
    long[] ls = new long[list.size()];
    double[] ds = new double[list.size()];
    int m = 0;
    for (Literal lit : list) {
      Object v = ScalarEval.eval(lit, ordinal -> null);
      if (v == null) {
        sawNull = true;
      } else if (v instanceof Long x) {
        ls[m++] = x;
      } else if (v instanceof Double x) {
        ds[m++] = x;
      } else if (v instanceof Boolean x) {
        ls[m++] = x ? 1 : 0;
      } else {
        return rows(in);
      }
    }
    long[] out = new long[n];
    boolean[] nulls = c.nulls == null ? null : c.nulls.clone();
    for (int i = 0; i < n; i++) {
      if (c.isNull(i)) {
        continue;
      }
      boolean found = false;
      if (c.repr == Col.LONG) {
        long v = c.longs[i];
        for (int j = 0; j < m && !found; j++) {
          found = ls[j] == v;
        }
      } else {
        double v = c.doubles[i];
        for (int j = 0; j < m && !found; j++) {
          found = v == ds[j] || (Double.isNaN(v) && Double.isNaN(ds[j]));
        }
      }
      if (found) {
        out[i] = 1;
      } else if (sawNull) {
        if (nulls == null) {
          nulls = new boolean[n];
        }
        nulls[i] = true;
      }
    }
    return Col.longs(DataType.BOOLEAN, out, nulls, n);
  }

  // ---- conditionals ----

  private Col caseWhen(CaseWhen cw) {
    int branches = cw.branches().size();
    Col[] conditions = new Col[branches];
    Col[] values = new Col[branches + 1];
    for (int b = 0; b < branches; b++) {
      conditions[b] = eval(cw.branches().get(b).condition());
      values[b] = eval(cw.branches().get(b).value());
    }
    values[branches] = cw.elseValue() == null ? null : eval(cw.elseValue());
    int[] choice = new int[n];
    Arrays.fill(choice, branches);
    for (int b = branches - 1; b >= 0; b--) {
      Col cond = conditions[b];
      for (int i = 0; i < n; i++) {
        if (cond.isTrue(i)) {
          choice[i] = b;
        }
      }
    }
    return select(cw, cw.type(), values, choice);
  }

  private Col coalesce(Coalesce co) {
    int k = co.args().size();
    Col[] values = new Col[k + 1];
    for (int j = 0; j < k; j++) {
      values[j] = eval(co.args().get(j));
    }
    int[] choice = new int[n];
    Arrays.fill(choice, k);
    for (int j = k - 1; j >= 0; j--) {
      for (int i = 0; i < n; i++) {
        if (!values[j].isNull(i)) {
          choice[i] = j;
        }
      }
    }
    return select(co, co.type(), values, choice);
  }

  /** Row i takes its value from {@code values[choice[i]]}; a null column means NULL. */
  private Col select(Expr e, DataType type, Col[] values, int[] choice) {
    int repr = -1;
    for (Col v : values) {
      if (v != null) {
        if (repr >= 0 && v.repr != repr) {
          return rows(e);
        }
        repr = v.repr;
      }
    }
    if (repr != Col.LONG && repr != Col.DOUBLE) {
      return rows(e);
    }
    boolean[] nulls = null;
    long[] ls = repr == Col.LONG ? new long[n] : null;
    double[] ds = repr == Col.DOUBLE ? new double[n] : null;
    for (int i = 0; i < n; i++) {
      Col v = values[choice[i]];
      if (v == null || v.isNull(i)) {
        if (nulls == null) {
          nulls = new boolean[n];
        }
        nulls[i] = true;
      } else if (ls != null) {
        ls[i] = v.longs[i];
      } else {
        ds[i] = v.doubles[i];
      }
    }
    return ls != null ? Col.longs(type, ls, nulls, n) : Col.doubles(type, ds, nulls, n);
  }

  // ---- casts ----

  private Col cast(Cast c) {
    Col v = eval(c.child());
    DataType from = c.child().type();
    DataType to = c.type();
    if (from.equals(to)) {
      return v;
    }
    TypeKind fk = from.kind();
    TypeKind tk = to.kind();
    boolean ansi = c.ansi();
    if (v.repr == Col.DOUBLE) {
      double[] d = v.doubles;
      if (tk == TypeKind.DOUBLE) {
        return Col.doubles(to, d, v.nulls, n);
      }
      if (tk == TypeKind.FLOAT) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
          out[i] = (float) d[i];
        }
        return Col.doubles(to, out, v.nulls, n);
      }
      if (tk == TypeKind.BOOLEAN) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
          out[i] = d[i] != 0 ? 1 : 0;
        }
        return Col.longs(to, out, v.nulls, n);
      }
      if (tk.isIntegral() && !ansi) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
          // Spark's non-ANSI byte and short casts go through int.
          out[i] = tk == TypeKind.LONG ? (long) d[i] : wrap((int) d[i], tk);
        }
        return Col.longs(to, out, v.nulls, n);
      }
      return rows(c);
    }
    if (v.repr != Col.LONG) {
      return rows(c);
    }
    long[] x = v.longs;
    if (fk == TypeKind.DECIMAL) {
      int s = from.scale();
      if (tk == TypeKind.DECIMAL) {
        return rescale(c, v, s, to, ansi);
      }
      if (tk == TypeKind.BOOLEAN) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
          out[i] = x[i] != 0 ? 1 : 0;
        }
        return Col.longs(to, out, v.nulls, n);
      }
      if (tk.isIntegral() && (!ansi || tk == TypeKind.LONG || from.precision() <= 18)) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
          long truncated = x[i] / POW10[s];
          long narrowed = wrap(truncated, tk);
          if (ansi && narrowed != truncated && !v.isNull(i)) {
            throw Deopt.INSTANCE;
          }
          out[i] = narrowed;
        }
        return Col.longs(to, out, v.nulls, n);
      }
      return rows(c);
    }
    // Booleans (0/1), integral kinds, dates and timestamps.
    boolean numeric = fk.isIntegral() || fk == TypeKind.BOOLEAN;
    if (!numeric) {
      return rows(c);
    }
    if (tk == TypeKind.DOUBLE || tk == TypeKind.FLOAT) {
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        out[i] = tk == TypeKind.DOUBLE ? (double) x[i] : (double) (float) x[i];
      }
      return Col.doubles(to, out, v.nulls, n);
    }
    if (tk == TypeKind.BOOLEAN) {
      long[] out = new long[n];
      for (int i = 0; i < n; i++) {
        out[i] = x[i] != 0 ? 1 : 0;
      }
      return Col.longs(to, out, v.nulls, n);
    }
    if (tk.isIntegral()) {
      long[] out = new long[n];
      for (int i = 0; i < n; i++) {
        long narrowed = wrap(x[i], tk);
        if (ansi && narrowed != x[i] && !v.isNull(i)) {
          throw Deopt.INSTANCE;
        }
        out[i] = narrowed;
      }
      return Col.longs(to, out, v.nulls, n);
    }
    if (tk == TypeKind.DECIMAL && fk != TypeKind.BOOLEAN) {
      return rescale(c, v, 0, to, ansi);
    }
    return rows(c);
  }

  /** An unscaled long at scale {@code s} to decimal {@code to} (HALF_UP, precision check). */
  private Col rescale(Cast c, Col v, int s, DataType to, boolean ansi) {
    int diff = to.scale() - s;
    if (diff > 18 || diff < -18) {
      return rows(c);
    }
    long[] x = v.longs;
    long[] out = new long[n];
    boolean[] nulls = v.nulls;
    for (int i = 0; i < n; i++) {
      if (v.isNull(i)) {
        continue;
      }
      long r;
      if (diff >= 0) {
        long hi = Math.multiplyHigh(x[i], POW10[diff]);
        r = x[i] * POW10[diff];
        if (hi != (r >> 63)) {
          return rows(c);
        }
      } else {
        r = roundHalfUp(x[i], -diff);
      }
      if (!fits(r, to.precision())) {
        if (ansi) {
          throw Deopt.INSTANCE;
        }
        nulls = setNull(nulls == v.nulls ? copy(nulls) : nulls, i);
      }
      out[i] = r;
    }
    return Col.longs(to, out, nulls, n);
  }
}
