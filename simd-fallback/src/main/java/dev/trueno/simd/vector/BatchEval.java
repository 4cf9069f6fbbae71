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
import dev.trueno.simd.vector.kernels.Filters;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampVector;

/**
 * Evaluates IR expressions a column at a time over the rows of one batch. Column references read
 * Arrow buffers in place (see {@link ArrowCols#read}); comparisons of such columns with literals or
 * with each other run the {@link Filters} kernels on the buffers, boolean results are bitmaps, and
 * computed values go to arrays from the aggregator's {@link Scratch}, reused from batch to batch.
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

  private static final VectorSpecies<Long> LONG_LANES = LongVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> DOUBLE_LANES = DoubleVector.SPECIES_PREFERRED;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  private final Source source;
  private final int n;
  private final Scratch scratch;

  BatchEval(Source source, int rows, Scratch scratch) {
    this.source = source;
    this.n = rows;
    this.scratch = scratch;
  }

  Col eval(Expr e) {
    if (e instanceof ColumnRef c) {
      return source.col(c.ordinal());
    }
    if (e instanceof Literal l) {
      return constant(l);
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
      long[][] c = boolWords(eval(not.child()));
      long[] value = scratch.words(n);
      long[] valid = scratch.words(n);
      Filters.not(c[0], c[1], value, valid, n);
      return Col.bits(value, valid, n, scratch);
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
      return c.repr == Col.LONG ? c.as(DataType.LONG) : rows(e);
    }
    if (e instanceof MakeDecimal m) {
      Col c = eval(m.child());
      boolean[] nulls = null;
      int p = m.type().precision();
      for (int i = 0; i < n; i++) {
        if (!c.isNull(i) && !fits(c.getLong(i), p)) {
          if (!m.nullOnOverflow()) {
            throw Deopt.INSTANCE;
          }
          nulls = setNull(nulls == null ? copy(c.nulls()) : nulls, i);
        }
      }
      return nulls == null ? c.as(m.type()) : Col.longs(m.type(), c.longs(), nulls, n);
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

  /** A scratch copy of a NULL mask (all false for null). */
  private boolean[] copy(boolean[] nulls) {
    boolean[] out = scratch.booleans(n);
    if (nulls != null) {
      System.arraycopy(nulls, 0, out, 0, n);
    }
    return out;
  }

  /** {@code out} with the NULLs of {@code in}, in whatever form {@code in} holds them. */
  private Col sameNulls(Col out, Col in) {
    out.nulls = in.nulls;
    out.validity = in.validity;
    out.validBits = in.validBits;
    out.scratch = scratch;
    return out;
  }

  /** A literal as a column of the batch's rows, in scratch arrays where it is a primitive. */
  private Col constant(Literal l) {
    Object v = ScalarEval.eval(l, ordinal -> null);
    if (v instanceof Long || v instanceof Boolean) {
      long x = v instanceof Long y ? y : (Boolean) v ? 1 : 0;
      long[] out = scratch.longs(n);
      Arrays.fill(out, 0, n, x);
      return Col.longs(l.type(), out, null, n);
    }
    if (v instanceof Double d) {
      double[] out = scratch.doubles(n);
      Arrays.fill(out, 0, n, d);
      return Col.doubles(l.type(), out, null, n);
    }
    return Col.constant(l.type(), v, n);
  }

  /** A bitmap with the batch's rows set. */
  private long[] ones() {
    long[] out = scratch.words(n);
    int words = (n + 63) >>> 6;
    Arrays.fill(out, 0, words, -1L);
    if ((n & 63) != 0) {
      out[words - 1] = (1L << n) - 1;
    }
    return out;
  }

  /** The validity of a column as a bitmap (a set bit is a non-NULL row). */
  private long[] validWords(Col c) {
    if (c.validBits != null) {
      return c.validBits;
    }
    long[] out = ones();
    if (c.validity != null) {
      int words = (n + 63) >>> 6;
      int bytes = (n + 7) >>> 3;
      for (int w = 0; w < words; w++) {
        int at = w << 3;
        long bits;
        if (at + 8 <= bytes) {
          bits = c.validity.getLong(at);
        } else {
          bits = 0;
          for (int b = 0; at + b < bytes; b++) {
            bits |= (c.validity.get(at + b) & 0xFFL) << (b << 3);
          }
        }
        out[w] &= bits;
      }
    } else if (c.nulls != null) {
      for (int i = 0; i < n; i++) {
        if (c.nulls[i]) {
          out[i >>> 6] &= ~(1L << i);
        }
      }
    }
    return out;
  }

  /**
   * A boolean column as {@code {value, valid}} bitmaps with value bits only where valid (the form
   * the {@link Filters} logic kernels take).
   */
  private long[][] boolWords(Col c) {
    if (c.bits != null) {
      return new long[][] {c.bits, c.validBits != null ? c.validBits : ones()};
    }
    long[] valid = validWords(c);
    long[] value = scratch.words(n);
    for (int i = 0; i < n; i++) {
      if (c.getLong(i) != 0) {
        value[i >>> 6] |= 1L << i;
      }
    }
    for (int w = 0; w < value.length && w < ((n + 63) >>> 6); w++) {
      value[w] &= valid[w];
    }
    return new long[][] {value, valid};
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
    boolean[] out = scratch.booleans(n);
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
    ArithmeticOp op = a.op();
    TypeKind kind = t.kind();
    boolean divides = op == ArithmeticOp.DIVIDE || op == ArithmeticOp.REMAINDER;
    if (l.repr == Col.DOUBLE) {
      if (kind == TypeKind.DOUBLE && op != ArithmeticOp.REMAINDER && dense8(l) && dense8(r)) {
        // IEEE lane operations round exactly as the scalar ones do.
        double[] out = scratch.doubles(n);
        doubleLanes(l, r, op, out);
        Col c = Col.doubles(t, out, null, n);
        if (op == ArithmeticOp.DIVIDE) {
          return divisionNulls(a, c, l, r);
        }
        c.validBits = andValid(l, r);
        c.scratch = scratch;
        return c;
      }
      boolean[] nulls = orNulls(l.nulls(), r.nulls());
      double[] out = scratch.doubles(n);
      boolean[] outNulls = nulls;
      for (int i = 0; i < n; i++) {
        if (divides && r.getDouble(i) == 0 && (nulls == null || !nulls[i])) {
          if (a.ansi()) {
            throw Deopt.INSTANCE;
          }
          outNulls = setNull(outNulls == nulls ? copy(nulls) : outNulls, i);
        }
      }
      if (kind == TypeKind.FLOAT) {
        for (int i = 0; i < n; i++) {
          float p = (float) l.getDouble(i);
          float q = (float) r.getDouble(i);
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
        for (int i = 0; i < n; i++) {
          double p = l.getDouble(i);
          double q = r.getDouble(i);
          out[i] =
              switch (op) {
                case ADD -> p + q;
                case SUBTRACT -> p - q;
                case MULTIPLY -> p * q;
                case DIVIDE -> p / q;
                case REMAINDER -> p % q;
              };
        }
      }
      return Col.doubles(t, out, outNulls, n);
    }
    if (l.repr != Col.LONG || !kind.isIntegral()) {
      return rows(a);
    }
    long[] out = scratch.longs(n);
    if (kind == TypeKind.LONG && !a.ansi() && !divides) {
      // Wrapping long arithmetic, in lanes straight from the Arrow buffers where both are plain.
      if (dense8(l) && dense8(r)) {
        longLanes(l, r, op, out);
      } else {
        for (int i = 0; i < n; i++) {
          long p = l.getLong(i);
          long q = r.getLong(i);
          out[i] =
              switch (op) {
                case ADD -> p + q;
                case SUBTRACT -> p - q;
                default -> p * q;
              };
        }
      }
      Col c = Col.longs(t, out, null, n);
      c.validBits = andValid(l, r);
      c.scratch = scratch;
      return c;
    }
    boolean[] nulls = orNulls(l.nulls(), r.nulls());
    boolean[] outNulls = nulls;
    for (int i = 0; i < n; i++) {
      if (nulls != null && nulls[i]) {
        continue;
      }
      long p = l.getLong(i);
      long q = r.getLong(i);
      if (divides) {
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

  /** Whether a LONG or DOUBLE column is an array or 8-byte values in place (lane loads). */
  private static boolean dense8(Col c) {
    return c.repr == Col.LONG
        ? c.longs != null || (c.bits == null && c.raw != null && c.width == 8)
        : c.doubles != null || (c.raw != null && c.width == 8);
  }

  private static LongVector longLane(Col c, int i) {
    return c.longs != null
        ? LongVector.fromArray(LONG_LANES, c.longs, i)
        : LongVector.fromByteBuffer(LONG_LANES, c.raw, i << 3, LE);
  }

  private static DoubleVector doubleLane(Col c, int i) {
    return c.doubles != null
        ? DoubleVector.fromArray(DOUBLE_LANES, c.doubles, i)
        : DoubleVector.fromByteBuffer(DOUBLE_LANES, c.raw, i << 3, LE);
  }

  /** Wrapping ADD, SUBTRACT or MULTIPLY of every row (NULL rows included), in lanes. */
  private void longLanes(Col l, Col r, ArithmeticOp op, long[] out) {
    int step = LONG_LANES.length();
    int bound = LONG_LANES.loopBound(n);
    int i = 0;
    switch (op) {
      case ADD -> {
        for (; i < bound; i += step) {
          longLane(l, i).add(longLane(r, i)).intoArray(out, i);
        }
        for (; i < n; i++) {
          out[i] = l.getLong(i) + r.getLong(i);
        }
      }
      case SUBTRACT -> {
        for (; i < bound; i += step) {
          longLane(l, i).sub(longLane(r, i)).intoArray(out, i);
        }
        for (; i < n; i++) {
          out[i] = l.getLong(i) - r.getLong(i);
        }
      }
      default -> {
        for (; i < bound; i += step) {
          longLane(l, i).mul(longLane(r, i)).intoArray(out, i);
        }
        for (; i < n; i++) {
          out[i] = l.getLong(i) * r.getLong(i);
        }
      }
    }
  }

  /** Double ADD, SUBTRACT, MULTIPLY or DIVIDE of every row (NULL rows included), in lanes. */
  private void doubleLanes(Col l, Col r, ArithmeticOp op, double[] out) {
    int step = DOUBLE_LANES.length();
    int bound = DOUBLE_LANES.loopBound(n);
    int i = 0;
    switch (op) {
      case ADD -> {
        for (; i < bound; i += step) {
          doubleLane(l, i).add(doubleLane(r, i)).intoArray(out, i);
        }
        for (; i < n; i++) {
          out[i] = l.getDouble(i) + r.getDouble(i);
        }
      }
      case SUBTRACT -> {
        for (; i < bound; i += step) {
          doubleLane(l, i).sub(doubleLane(r, i)).intoArray(out, i);
        }
        for (; i < n; i++) {
          out[i] = l.getDouble(i) - r.getDouble(i);
        }
      }
      case MULTIPLY -> {
        for (; i < bound; i += step) {
          doubleLane(l, i).mul(doubleLane(r, i)).intoArray(out, i);
        }
        for (; i < n; i++) {
          out[i] = l.getDouble(i) * r.getDouble(i);
        }
      }
      default -> {
        for (; i < bound; i += step) {
          doubleLane(l, i).div(doubleLane(r, i)).intoArray(out, i);
        }
        for (; i < n; i++) {
          out[i] = l.getDouble(i) / r.getDouble(i);
        }
      }
    }
  }

  /** A double quotient: NULL where the divisor is 0 (non-ANSI), the row path under ANSI. */
  private Col divisionNulls(Arithmetic a, Col quotient, Col l, Col r) {
    long[] valid = andValid(l, r);
    long[] out = valid;
    for (int i = 0; i < n; i++) {
      if (r.getDouble(i) == 0 && (valid == null || (valid[i >>> 6] & (1L << i)) != 0)) {
        if (a.ansi()) {
          throw Deopt.INSTANCE;
        }
        if (out == null || out == valid) {
          long[] copy = ones();
          if (valid != null) {
            System.arraycopy(valid, 0, copy, 0, (n + 63) >>> 6);
          }
          out = copy;
        }
        out[i >>> 6] &= ~(1L << i);
      }
    }
    quotient.validBits = out;
    quotient.scratch = scratch;
    return quotient;
  }

  /** The rows where both columns are non-NULL as a bitmap, or null when no row is NULL. */
  private long[] andValid(Col l, Col r) {
    if (!l.hasNulls() && !r.hasNulls()) {
      return null;
    }
    if (!r.hasNulls()) {
      return validWords(l);
    }
    if (!l.hasNulls()) {
      return validWords(r);
    }
    long[] a = validWords(l);
    long[] b = validWords(r);
    long[] out = scratch.words(n);
    for (int w = 0; w < ((n + 63) >>> 6); w++) {
      out[w] = a[w] & b[w];
    }
    return out;
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
    boolean[] nulls = orNulls(l.nulls(), r.nulls());
    boolean[] outNulls = nulls;
    long[] out = scratch.longs(n);
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
        long x = l.getLong(i);
        long y = r.getLong(i);
        long lo = x * y;
        if (Math.multiplyHigh(x, y) != (lo >> 63)) {
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
        long u = scaleUp(l.getLong(i), ls);
        long w = scaleUp(r.getLong(i), rs);
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
      double[] out = scratch.doubles(n);
      for (int i = 0; i < n; i++) {
        out[i] = -c.getDouble(i);
      }
      return sameNulls(Col.doubles(t, out, null, n), c);
    }
    if (c.repr != Col.LONG) {
      return rows(neg);
    }
    long[] out = scratch.longs(n);
    boolean[] nulls = c.nulls();
    for (int i = 0; i < n; i++) {
      if (nulls != null && nulls[i]) {
        continue;
      }
      long v = c.getLong(i);
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
    return Col.longs(t, out, nulls, n);
  }

  // ---- predicates ----

  private Col comparison(Comparison c) {
    Col l;
    Col r;
    Object literal = null;
    if (c.right() instanceof Literal lit
        && !(c.left() instanceof Literal)
        && (literal = ScalarEval.eval(lit, ordinal -> null)) != null) {
      l = eval(c.left());
      Col fast = compareWithLiteral(c, l, c.op(), literal);
      if (fast != null) {
        return fast;
      }
      r = eval(c.right());
    } else if (c.left() instanceof Literal lit
        && !(c.right() instanceof Literal)
        && (literal = ScalarEval.eval(lit, ordinal -> null)) != null) {
      r = eval(c.right());
      Col fast = compareWithLiteral(c, r, flip(c.op()), literal);
      if (fast != null) {
        return fast;
      }
      l = eval(c.left());
    } else {
      l = eval(c.left());
      r = eval(c.right());
      Col fast = compareColumns(c, l, r);
      if (fast != null) {
        return fast;
      }
    }
    if (l.repr != r.repr || l.repr == Col.OBJECT) {
      return rows(c);
    }
    int[] cmp = scratch.ints(n);
    boolean[] nulls = orNulls(l.nulls(), r.nulls());
    switch (l.repr) {
      case Col.LONG -> {
        DataType lt = c.left().type();
        DataType rt = c.right().type();
        if (lt.isDecimal() && lt.scale() != rt.scale()) {
          int common = Math.max(lt.scale(), rt.scale());
          try {
            for (int i = 0; i < n; i++) {
              if (nulls == null || !nulls[i]) {
                long x = scaleUp(l.getLong(i), common - lt.scale());
                long y = scaleUp(r.getLong(i), common - rt.scale());
                cmp[i] = Long.compare(x, y);
              }
            }
          } catch (ArithmeticException ex) {
            return rows(c);
          }
        } else {
          for (int i = 0; i < n; i++) {
            cmp[i] = Long.compare(l.getLong(i), r.getLong(i));
          }
        }
      }
      case Col.DOUBLE -> {
        for (int i = 0; i < n; i++) {
          double x = l.getDouble(i);
          double y = r.getDouble(i);
          // SQLOrderingUtil.compareDoubles: -0.0 == 0.0, NaN equal to itself and above all.
          cmp[i] = x == y ? 0 : Double.compare(x, y);
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
    long[] out = scratch.longs(n);
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

  /** The operator with its operands swapped: {@code a op b} is {@code b flip(op) a}. */
  private static ComparisonOp flip(ComparisonOp op) {
    return switch (op) {
      case LESS_THAN -> ComparisonOp.GREATER_THAN;
      case LESS_THAN_OR_EQUAL -> ComparisonOp.GREATER_THAN_OR_EQUAL;
      case GREATER_THAN -> ComparisonOp.LESS_THAN;
      case GREATER_THAN_OR_EQUAL -> ComparisonOp.LESS_THAN_OR_EQUAL;
      default -> op;
    };
  }

  /** The vector a kernel can read a column from in place (this batch's rows only), or null. */
  private BaseFixedWidthVector kernelVector(Col c) {
    if (c.inPlace()
        && c.vector instanceof BaseFixedWidthVector v
        && v.getValueCount() == n
        && (v instanceof BigIntVector
            || v instanceof TimeStampVector
            || v instanceof IntVector
            || v instanceof DateDayVector
            || v instanceof Float8Vector)) {
      return v;
    }
    return null;
  }

  /** {@code column op literal} with a {@link Filters} kernel over the Arrow buffers, or null. */
  private Col compareWithLiteral(Comparison c, Col column, ComparisonOp op, Object literal) {
    if (!c.left().type().equals(c.right().type())) {
      return null;
    }
    BaseFixedWidthVector v = kernelVector(column);
    if (v == null) {
      return null;
    }
    long[] value = scratch.words(n);
    long[] valid = scratch.words(n);
    if (v instanceof Float8Vector) {
      if (!(literal instanceof Double d)) {
        return null;
      }
      Filters.compareDouble(v, op, d, value, valid);
    } else if (!(literal instanceof Long x)) {
      return null;
    } else if (v.getTypeWidth() == 8) {
      Filters.compareLong(v, op, x, value, valid);
    } else {
      Filters.compareInt(v, op, x, value, valid);
    }
    return Col.bits(value, valid, n, scratch);
  }

  /** {@code left op right} of two plain columns with a {@link Filters} kernel, or null. */
  private Col compareColumns(Comparison c, Col l, Col r) {
    if (!c.left().type().equals(c.right().type())) {
      return null;
    }
    BaseFixedWidthVector a = kernelVector(l);
    BaseFixedWidthVector b = kernelVector(r);
    if (a == null || b == null || a.getTypeWidth() != b.getTypeWidth()) {
      return null;
    }
    boolean da = a instanceof Float8Vector;
    boolean db = b instanceof Float8Vector;
    if (da != db) {
      return null;
    }
    long[] value = scratch.words(n);
    long[] valid = scratch.words(n);
    if (da) {
      Filters.compareDoubles(a, c.op(), b, value, valid);
    } else if (a.getTypeWidth() == 8) {
      Filters.compareLongs(a, c.op(), b, value, valid);
    } else {
      Filters.compareInts(a, c.op(), b, value, valid);
    }
    return Col.bits(value, valid, n, scratch);
  }

  /** AND ({@code and == true}) or OR with three-valued logic, a word of rows at a time. */
  private Col logic(Col l, Col r, boolean and) {
    long[][] a = boolWords(l);
    long[][] b = boolWords(r);
    long[] value = scratch.words(n);
    long[] valid = scratch.words(n);
    if (and) {
      Filters.and(a[0], a[1], b[0], b[1], value, valid, n);
    } else {
      Filters.or(a[0], a[1], b[0], b[1], value, valid, n);
    }
    return Col.bits(value, valid, n, scratch);
  }

  /** IS NULL ({@code whenNull == 1}) or IS NOT NULL, from the validity bitmap. */
  private Col nullTest(Col c, long whenNull) {
    long[] valid = validWords(c);
    long[] value = scratch.words(n);
    int words = (n + 63) >>> 6;
    for (int w = 0; w < words; w++) {
      value[w] = whenNull == 1 ? ~valid[w] : valid[w];
    }
    if (words > 0 && (n & 63) != 0) {
      value[words - 1] &= (1L << n) - 1;
    }
    return Col.bits(value, null, n, scratch);
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
    long[] out = scratch.longs(n);
    boolean[] nulls = c.hasNulls() ? copy(c.nulls()) : null;
    for (int i = 0; i < n; i++) {
      if (c.isNull(i)) {
        continue;
      }
      boolean found = false;
      if (c.repr == Col.LONG) {
        long v = c.getLong(i);
        for (int j = 0; j < m && !found; j++) {
          found = ls[j] == v;
        }
      } else {
        double v = c.getDouble(i);
        for (int j = 0; j < m && !found; j++) {
          found = v == ds[j] || (Double.isNaN(v) && Double.isNaN(ds[j]));
        }
      }
      if (found) {
        out[i] = 1;
      } else if (sawNull) {
        if (nulls == null) {
          nulls = scratch.booleans(n);
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
    int[] choice = scratch.ints(n);
    Arrays.fill(choice, 0, n, branches);
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
    int[] choice = scratch.ints(n);
    Arrays.fill(choice, 0, n, k);
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
    long[] ls = repr == Col.LONG ? scratch.longs(n) : null;
    double[] ds = repr == Col.DOUBLE ? scratch.doubles(n) : null;
    for (int i = 0; i < n; i++) {
      Col v = values[choice[i]];
      if (v == null || v.isNull(i)) {
        if (nulls == null) {
          nulls = scratch.booleans(n);
        }
        nulls[i] = true;
      } else if (ls != null) {
        ls[i] = v.getLong(i);
      } else {
        ds[i] = v.getDouble(i);
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
      if (tk == TypeKind.DOUBLE) {
        return v.as(to);
      }
      if (tk == TypeKind.FLOAT) {
        double[] out = scratch.doubles(n);
        for (int i = 0; i < n; i++) {
          out[i] = (float) v.getDouble(i);
        }
        return sameNulls(Col.doubles(to, out, null, n), v);
      }
      if (tk == TypeKind.BOOLEAN) {
        long[] out = scratch.longs(n);
        for (int i = 0; i < n; i++) {
          out[i] = v.getDouble(i) != 0 ? 1 : 0;
        }
        return sameNulls(Col.longs(to, out, null, n), v);
      }
      if (tk.isIntegral() && !ansi) {
        long[] out = scratch.longs(n);
        for (int i = 0; i < n; i++) {
          // Spark's non-ANSI byte and short casts go through int.
          double d = v.getDouble(i);
          out[i] = tk == TypeKind.LONG ? (long) d : wrap((int) d, tk);
        }
        return sameNulls(Col.longs(to, out, null, n), v);
      }
      return rows(c);
    }
    if (v.repr != Col.LONG) {
      return rows(c);
    }
    if (fk == TypeKind.DECIMAL) {
      int s = from.scale();
      if (tk == TypeKind.DECIMAL) {
        return rescale(c, v, s, to, ansi);
      }
      if (tk == TypeKind.BOOLEAN) {
        long[] out = scratch.longs(n);
        for (int i = 0; i < n; i++) {
          out[i] = v.getLong(i) != 0 ? 1 : 0;
        }
        return sameNulls(Col.longs(to, out, null, n), v);
      }
      if (tk.isIntegral() && (!ansi || tk == TypeKind.LONG || from.precision() <= 18)) {
        long[] out = scratch.longs(n);
        for (int i = 0; i < n; i++) {
          long truncated = v.getLong(i) / POW10[s];
          long narrowed = wrap(truncated, tk);
          if (ansi && narrowed != truncated && !v.isNull(i)) {
            throw Deopt.INSTANCE;
          }
          out[i] = narrowed;
        }
        return sameNulls(Col.longs(to, out, null, n), v);
      }
      return rows(c);
    }
    // Booleans (0/1), integral kinds, dates and timestamps.
    boolean numeric = fk.isIntegral() || fk == TypeKind.BOOLEAN;
    if (!numeric) {
      return rows(c);
    }
    if (tk == TypeKind.DOUBLE || tk == TypeKind.FLOAT) {
      double[] out = scratch.doubles(n);
      for (int i = 0; i < n; i++) {
        long x = v.getLong(i);
        out[i] = tk == TypeKind.DOUBLE ? (double) x : (double) (float) x;
      }
      return sameNulls(Col.doubles(to, out, null, n), v);
    }
    if (tk == TypeKind.BOOLEAN) {
      long[] out = scratch.longs(n);
      for (int i = 0; i < n; i++) {
        out[i] = v.getLong(i) != 0 ? 1 : 0;
      }
      return sameNulls(Col.longs(to, out, null, n), v);
    }
    if (tk.isIntegral()) {
      if (widens(fk, tk)) {
        // Every value is already a value of the wider type: the same storage serves.
        return v.as(to);
      }
      long[] out = scratch.longs(n);
      for (int i = 0; i < n; i++) {
        long x = v.getLong(i);
        long narrowed = wrap(x, tk);
        if (ansi && narrowed != x && !v.isNull(i)) {
          throw Deopt.INSTANCE;
        }
        out[i] = narrowed;
      }
      return sameNulls(Col.longs(to, out, null, n), v);
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
    long[] out = scratch.longs(n);
    boolean[] nulls = v.nulls();
    boolean[] given = nulls;
    for (int i = 0; i < n; i++) {
      if (v.isNull(i)) {
        continue;
      }
      long x = v.getLong(i);
      long r;
      if (diff >= 0) {
        long hi = Math.multiplyHigh(x, POW10[diff]);
        r = x * POW10[diff];
        if (hi != (r >> 63)) {
          return rows(c);
        }
      } else {
        r = roundHalfUp(x, -diff);
      }
      if (!fits(r, to.precision())) {
        if (ansi) {
          throw Deopt.INSTANCE;
        }
        nulls = setNull(nulls == given ? copy(nulls) : nulls, i);
      }
      out[i] = r;
    }
    return Col.longs(to, out, nulls, n);
  }

  /** Whether every value of integral kind {@code from} is a value of integral kind {@code to}. */
  private static boolean widens(TypeKind from, TypeKind to) {
    return rank(from) >= 0 && rank(to) >= rank(from);
  }

  private static int rank(TypeKind k) {
    return switch (k) {
      case BYTE -> 0;
      case SHORT -> 1;
      case INT -> 2;
      case LONG -> 3;
      default -> -1;
    };
  }
}
