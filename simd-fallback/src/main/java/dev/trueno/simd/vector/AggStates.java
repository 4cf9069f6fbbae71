package dev.trueno.simd.vector;

import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import dev.trueno.simd.scalar.ScalarEval;
import dev.trueno.simd.vector.kernels.DoubleAggregate;
import dev.trueno.simd.vector.kernels.LongAggregate;
import dev.trueno.simd.vector.kernels.Reductions;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;

/**
 * Per-group aggregation states in primitive arrays indexed by group id, one per aggregate call,
 * with Spark's buffer semantics (the scalar backend's {@code Accumulators} are the reference).
 * Update loops run over (group id, value) arrays in row order, so per group the values are folded
 * in the order the reference folds them (which makes float sums equal bit for bit). A decimal group
 * whose sum leaves the long range moves to a reference accumulator (exact BigDecimal) for the rest
 * of the query.
 */
final class AggStates {
  private AggStates() {}

  /** The state for {@code call}; {@code checkEachUpdate} as in the reference accumulators. */
  static State create(AggregateCall call, boolean checkEachUpdate) {
    DataType arg = call.argumentType();
    return switch (call.function()) {
      case COUNT, COUNT_STAR -> new Count(call);
      case SUM -> {
        if (arg.isDecimal()) {
          yield new DecimalSum(call, checkEachUpdate);
        }
        yield arg.kind().isIntegral() ? new LongSum(call) : new DoubleSum(call);
      }
      case AVG -> arg.isDecimal() ? new DecimalAvg(call, checkEachUpdate) : new DoubleAvg(call);
      case MIN, MAX -> {
        boolean max = call.function() == AggregateFunction.MAX;
        if (arg.kind().isFloating()) {
          yield new DoubleMinMax(call, max);
        }
        if (arg.kind() != TypeKind.STRING && (!arg.isDecimal() || arg.precision() <= 18)) {
          yield new LongMinMax(call, max);
        }
        yield new Reference(call, checkEachUpdate);
      }
    };
  }

  /** One aggregate call's state for every group. */
  abstract static class State {
    final AggregateCall call;
    int capacity;

    State(AggregateCall call) {
      this.call = call;
    }

    /** Makes room for groups {@code [0, groups)}. */
    final void grow(int groups) {
      if (groups > capacity) {
        int cap = Math.max(groups, Math.max(16, capacity * 2));
        resize(cap);
        capacity = cap;
      }
    }

    abstract void resize(int cap);

    /**
     * Folds in rows {@code [from, to)}: row i goes to group {@code gids[i]} (group 0 when gids is
     * null), skipped where {@code sel} (when not null) is false. {@code v} is null for COUNT(*).
     */
    abstract void update(int[] gids, Col v, boolean[] sel, int from, int to);

    /** Folds in buffers from another phase, columns in {@code bufferFields} order. */
    abstract void merge(int[] gids, Col[] buffer, int from, int to);

    /**
     * Global aggregation over an Arrow column in place, over the rows {@code selection} (a bitmap,
     * or null for every row) keeps; false when not applicable.
     */
    boolean reduce(FieldVector column, long[] selection) {
      return false;
    }

    abstract Object result(int g);

    abstract Object[] buffer(int g);

    Col resultCol(int from, int n) {
      Object[] values = new Object[n];
      for (int i = 0; i < n; i++) {
        values[i] = result(from + i);
      }
      return Col.fromObjects(call.resultType(), values, n);
    }

    Col bufferCol(int b, int from, int n) {
      Object[] values = new Object[n];
      for (int i = 0; i < n; i++) {
        values[i] = buffer(from + i)[b];
      }
      return Col.fromObjects(call.bufferFields().get(b).type(), values, n);
    }

    static int g(int[] gids, int i) {
      return gids == null ? 0 : gids[i];
    }

    static boolean skip(boolean[] sel, Col v, int i) {
      return (sel != null && !sel[i]) || (v != null && v.isNull(i));
    }

    static boolean[] notSeen(boolean[] seen, int from, int n) {
      boolean[] nulls = null;
      for (int i = 0; i < n; i++) {
        if (!seen[from + i]) {
          if (nulls == null) {
            nulls = new boolean[n];
          }
          nulls[i] = true;
        }
      }
      return nulls;
    }
  }

  /** COUNT(x) and COUNT(*): a non-null long. */
  static final class Count extends State {
    private final boolean star;
    private long[] counts = new long[0];

    Count(AggregateCall call) {
      super(call);
      star = call.function() == AggregateFunction.COUNT_STAR;
    }

    @Override
    void resize(int cap) {
      counts = Arrays.copyOf(counts, cap);
    }

    @Override
    void update(int[] gids, Col v, boolean[] sel, int from, int to) {
      Col value = star ? null : v;
      if (gids == null) {
        long c = 0;
        for (int i = from; i < to; i++) {
          if (!skip(sel, value, i)) {
            c++;
          }
        }
        counts[0] += c;
        return;
      }
      long[] cs = counts;
      if (sel == null && (value == null || !value.hasNulls())) {
        for (int i = from; i < to; i++) {
          cs[gids[i]]++;
        }
        return;
      }
      for (int i = from; i < to; i++) {
        if (!skip(sel, value, i)) {
          cs[gids[i]]++;
        }
      }
    }

    @Override
    void merge(int[] gids, Col[] buffer, int from, int to) {
      Col b = buffer[0];
      for (int i = from; i < to; i++) {
        if (!b.isNull(i)) {
          counts[g(gids, i)] += b.getLong(i);
        }
      }
    }

    @Override
    boolean reduce(FieldVector column, long[] selection) {
      if (star || !(column instanceof BaseFixedWidthVector f)) {
        return false;
      }
      counts[0] += Reductions.countValid(f, selection);
      return true;
    }

    @Override
    Object result(int g) {
      return counts[g];
    }

    @Override
    Object[] buffer(int g) {
      return new Object[] {counts[g]};
    }

    @Override
    Col resultCol(int from, int n) {
      return Col.longs(DataType.LONG, Arrays.copyOfRange(counts, from, from + n), null, n);
    }

    @Override
    Col bufferCol(int b, int from, int n) {
      return resultCol(from, n);
    }
  }

  /** SUM of integers: wraps, or under ANSI raises the reference's "long overflow". */
  static final class LongSum extends State {
    private long[] sums = new long[0];
    private boolean[] seen = new boolean[0];

    LongSum(AggregateCall call) {
      super(call);
    }

    @Override
    void resize(int cap) {
      sums = Arrays.copyOf(sums, cap);
      seen = Arrays.copyOf(seen, cap);
    }

    @Override
    void update(int[] gids, Col v, boolean[] sel, int from, int to) {
      long[] s = sums;
      boolean[] seen = this.seen;
      if (call.ansi()) {
        for (int i = from; i < to; i++) {
          if (!skip(sel, v, i)) {
            int g = g(gids, i);
            long x = v.getLong(i);
            long before = s[g];
            long after = before + x;
            // Overflow iff both operands have the sign the result lacks (Math.addExact's test).
            if (((before ^ after) & (x ^ after)) < 0) {
              throw ScalarEval.longSumOverflow();
            }
            s[g] = after;
            seen[g] = true;
          }
        }
        return;
      }
      if (gids != null && sel == null && !v.hasNulls()) {
        if (v.longs != null) {
          long[] x = v.longs;
          for (int i = from; i < to; i++) {
            int g = gids[i];
            s[g] += x[i];
            seen[g] = true;
          }
        } else if (v.raw != null && v.width == 8) {
          // Straight from the Arrow buffer.
          ByteBuffer x = v.raw;
          for (int i = from; i < to; i++) {
            int g = gids[i];
            s[g] += x.getLong(i << 3);
            seen[g] = true;
          }
        } else {
          for (int i = from; i < to; i++) {
            int g = gids[i];
            s[g] += v.getLong(i);
            seen[g] = true;
          }
        }
        return;
      }
      for (int i = from; i < to; i++) {
        if (!skip(sel, v, i)) {
          int g = g(gids, i);
          s[g] += v.getLong(i);
          seen[g] = true;
        }
      }
    }

    @Override
    void merge(int[] gids, Col[] buffer, int from, int to) {
      update(gids, buffer[0], null, from, to);
    }

    @Override
    boolean reduce(FieldVector column, long[] selection) {
      LongAggregate r;
      if (column instanceof BigIntVector f) {
        r = Reductions.sumLong(f, selection, sums[0], call.ansi());
      } else if (column instanceof IntVector f) {
        r = Reductions.sumInt(f, selection, sums[0], call.ansi());
      } else {
        return false;
      }
      if (r.count() > 0) {
        if (r.overflowed() && call.ansi()) {
          throw ScalarEval.longSumOverflow();
        }
        sums[0] = r.value();
        seen[0] = true;
      }
      return true;
    }

    @Override
    Object result(int g) {
      return seen[g] ? sums[g] : null;
    }

    @Override
    Object[] buffer(int g) {
      return new Object[] {result(g)};
    }

    @Override
    Col resultCol(int from, int n) {
      return Col.longs(
          DataType.LONG, Arrays.copyOfRange(sums, from, from + n), notSeen(seen, from, n), n);
    }

    @Override
    Col bufferCol(int b, int from, int n) {
      return resultCol(from, n);
    }
  }

  /** SUM of floats and doubles, added in row order per group. */
  static final class DoubleSum extends State {
    private double[] sums = new double[0];
    private boolean[] seen = new boolean[0];

    DoubleSum(AggregateCall call) {
      super(call);
    }

    @Override
    void resize(int cap) {
      sums = Arrays.copyOf(sums, cap);
      seen = Arrays.copyOf(seen, cap);
    }

    @Override
    void update(int[] gids, Col v, boolean[] sel, int from, int to) {
      double[] s = sums;
      if (gids != null && sel == null && !v.hasNulls() && v.inPlace() && v.width == 8) {
        ByteBuffer x = v.raw;
        for (int i = from; i < to; i++) {
          int g = gids[i];
          s[g] += x.getDouble(i << 3);
          seen[g] = true;
        }
        return;
      }
      for (int i = from; i < to; i++) {
        if (!skip(sel, v, i)) {
          int g = g(gids, i);
          s[g] += v.getDouble(i);
          seen[g] = true;
        }
      }
    }

    @Override
    void merge(int[] gids, Col[] buffer, int from, int to) {
      update(gids, buffer[0], null, from, to);
    }

    @Override
    boolean reduce(FieldVector column, long[] selection) {
      if (!(column instanceof Float8Vector f)) {
        return false;
      }
      DoubleAggregate r = Reductions.sumDouble(f, selection, sums[0]);
      if (r.count() > 0) {
        sums[0] = r.value();
        seen[0] = true;
      }
      return true;
    }

    @Override
    Object result(int g) {
      return seen[g] ? sums[g] : null;
    }

    @Override
    Object[] buffer(int g) {
      return new Object[] {result(g)};
    }

    @Override
    Col resultCol(int from, int n) {
      return Col.doubles(
          DataType.DOUBLE, Arrays.copyOfRange(sums, from, from + n), notSeen(seen, from, n), n);
    }

    @Override
    Col bufferCol(int b, int from, int n) {
      return resultCol(from, n);
    }
  }

  /** MIN and MAX of values held as longs (integral, date, timestamp, boolean, small decimal). */
  static final class LongMinMax extends State {
    private final boolean max;
    private long[] best = new long[0];
    private boolean[] seen = new boolean[0];

    LongMinMax(AggregateCall call, boolean max) {
      super(call);
      this.max = max;
    }

    @Override
    void resize(int cap) {
      best = Arrays.copyOf(best, cap);
      seen = Arrays.copyOf(seen, cap);
    }

    @Override
    void update(int[] gids, Col v, boolean[] sel, int from, int to) {
      for (int i = from; i < to; i++) {
        if (!skip(sel, v, i)) {
          fold(g(gids, i), v.getLong(i));
        }
      }
    }

    private void fold(int g, long x) {
      if (!seen[g] || (max ? x > best[g] : x < best[g])) {
        best[g] = x;
        seen[g] = true;
      }
    }

    @Override
    void merge(int[] gids, Col[] buffer, int from, int to) {
      update(gids, buffer[0], null, from, to);
    }

    @Override
    boolean reduce(FieldVector column, long[] selection) {
      LongAggregate r;
      if (column instanceof BigIntVector f) {
        r = max ? Reductions.maxLong(f, selection) : Reductions.minLong(f, selection);
      } else if (column instanceof IntVector f) {
        r = max ? Reductions.maxInt(f, selection) : Reductions.minInt(f, selection);
      } else {
        return false;
      }
      if (r.count() > 0) {
        fold(0, r.value());
      }
      return true;
    }

    @Override
    Object result(int g) {
      return resultCol(g, 1).value(0);
    }

    @Override
    Object[] buffer(int g) {
      return new Object[] {result(g)};
    }

    @Override
    Col resultCol(int from, int n) {
      return Col.longs(
          call.resultType(), Arrays.copyOfRange(best, from, from + n), notSeen(seen, from, n), n);
    }

    @Override
    Col bufferCol(int b, int from, int n) {
      return resultCol(from, n);
    }
  }

  /**
   * MIN and MAX of doubles in Spark's order (NaN above every number, -0.0 equal to 0.0); on ties
   * the value seen first stays, as {@code Least}/{@code Greatest} keep the buffer.
   */
  static final class DoubleMinMax extends State {
    private final boolean max;
    private double[] best = new double[0];
    private boolean[] seen = new boolean[0];

    DoubleMinMax(AggregateCall call, boolean max) {
      super(call);
      this.max = max;
    }

    @Override
    void resize(int cap) {
      best = Arrays.copyOf(best, cap);
      seen = Arrays.copyOf(seen, cap);
    }

    @Override
    void update(int[] gids, Col v, boolean[] sel, int from, int to) {
      for (int i = from; i < to; i++) {
        if (!skip(sel, v, i)) {
          fold(g(gids, i), v.getDouble(i));
        }
      }
    }

    private void fold(int g, double x) {
      if (!seen[g]) {
        best[g] = x;
        seen[g] = true;
        return;
      }
      double b = best[g];
      int cmp = x == b ? 0 : Double.compare(x, b);
      if (max ? cmp > 0 : cmp < 0) {
        best[g] = x;
      }
    }

    @Override
    void merge(int[] gids, Col[] buffer, int from, int to) {
      update(gids, buffer[0], null, from, to);
    }

    @Override
    boolean reduce(FieldVector column, long[] selection) {
      if (!(column instanceof Float8Vector f)) {
        return false;
      }
      DoubleAggregate r =
          max ? Reductions.maxDouble(f, selection) : Reductions.minDouble(f, selection);
      if (r.count() > 0) {
        fold(0, r.value());
      }
      return true;
    }

    @Override
    Object result(int g) {
      return seen[g] ? best[g] : null;
    }

    @Override
    Object[] buffer(int g) {
      return new Object[] {result(g)};
    }

    @Override
    Col resultCol(int from, int n) {
      return Col.doubles(
          call.resultType(), Arrays.copyOfRange(best, from, from + n), notSeen(seen, from, n), n);
    }

    @Override
    Col bufferCol(int b, int from, int n) {
      return resultCol(from, n);
    }
  }

  /**
   * AVG of non-decimals: buffer (sum double, count long) from (0.0, 0). NULL rows add 0.0 in Spark,
   * which cannot change a sum that starts at +0.0, so they are skipped here.
   */
  static final class DoubleAvg extends State {
    private final boolean integral;
    private double[] sums = new double[0];
    private long[] counts = new long[0];
    private boolean[] sumNull = new boolean[0];
    private boolean[] countNull = new boolean[0];

    DoubleAvg(AggregateCall call) {
      super(call);
      integral =
          call.argumentType().kind() != TypeKind.FLOAT
              && call.argumentType().kind() != TypeKind.DOUBLE;
    }

    @Override
    void resize(int cap) {
      sums = Arrays.copyOf(sums, cap);
      counts = Arrays.copyOf(counts, cap);
      sumNull = Arrays.copyOf(sumNull, cap);
      countNull = Arrays.copyOf(countNull, cap);
    }

    @Override
    void update(int[] gids, Col v, boolean[] sel, int from, int to) {
      for (int i = from; i < to; i++) {
        if (!skip(sel, v, i)) {
          int g = g(gids, i);
          sums[g] += integral ? (double) v.getLong(i) : v.getDouble(i);
          counts[g]++;
        }
      }
    }

    @Override
    void merge(int[] gids, Col[] buffer, int from, int to) {
      Col s = buffer[0];
      Col c = buffer[1];
      for (int i = from; i < to; i++) {
        int g = g(gids, i);
        if (s.isNull(i)) {
          sumNull[g] = true;
        } else {
          sums[g] += s.getDouble(i);
        }
        if (c.isNull(i)) {
          countNull[g] = true;
        } else {
          counts[g] += c.getLong(i);
        }
      }
    }

    @Override
    Object result(int g) {
      if (sumNull[g] || countNull[g] || counts[g] == 0) {
        return null;
      }
      return sums[g] / (double) counts[g];
    }

    @Override
    Object[] buffer(int g) {
      return new Object[] {sumNull[g] ? null : sums[g], countNull[g] ? null : counts[g]};
    }

    @Override
    Col resultCol(int from, int n) {
      double[] out = new double[n];
      boolean[] nulls = null;
      for (int i = 0; i < n; i++) {
        int g = from + i;
        if (sumNull[g] || countNull[g] || counts[g] == 0) {
          if (nulls == null) {
            nulls = new boolean[n];
          }
          nulls[i] = true;
        } else {
          out[i] = sums[g] / (double) counts[g];
        }
      }
      return Col.doubles(DataType.DOUBLE, out, nulls, n);
    }
  }

  /**
   * Decimal SUM and AVG: the sum as an unscaled long at the argument's scale while it fits (and,
   * when buffers are checked on each update, while it fits the buffer's precision); a group that
   * leaves that range is handed to a reference accumulator seeded with its buffer, exactly.
   */
  abstract static class DecimalState extends State {
    final boolean checkEachUpdate;
    final DataType sumType;
    final int scale;
    long[] sums = new long[0];
    ScalarEval.Acc[] promoted = new ScalarEval.Acc[0];
    boolean anyPromoted;

    DecimalState(AggregateCall call, boolean checkEachUpdate, DataType sumType) {
      super(call);
      this.checkEachUpdate = checkEachUpdate;
      this.sumType = sumType;
      this.scale = sumType.scale();
    }

    @Override
    void resize(int cap) {
      sums = Arrays.copyOf(sums, cap);
      promoted = Arrays.copyOf(promoted, cap);
    }

    /** The buffer of a long-held group, as the reference would hold it before fitting. */
    abstract Object[] seed(int g);

    ScalarEval.Acc promote(int g) {
      ScalarEval.Acc acc = ScalarEval.accumulator(call, checkEachUpdate);
      acc.merge(seed(g));
      promoted[g] = acc;
      anyPromoted = true;
      return acc;
    }

    /** The sum after adding {@code x}, or null when the group must be promoted. */
    boolean addFits(int g, long x) {
      long before = sums[g];
      long after = before + x;
      if (((before ^ after) & (x ^ after)) < 0
          || (checkEachUpdate && !BatchEval.fits(after, sumType.precision()))) {
        return false;
      }
      sums[g] = after;
      return true;
    }

    BigDecimal decimal(long unscaled) {
      return BigDecimal.valueOf(unscaled, scale);
    }

    /** The fitted buffer sum of a long-held group (null when over the buffer's precision). */
    Object bufferSum(int g) {
      return BatchEval.fits(sums[g], sumType.precision()) ? decimal(sums[g]) : null;
    }
  }

  /** SUM of decimals: buffer (sum, isEmpty). */
  static final class DecimalSum extends DecimalState {
    private boolean[] empty = new boolean[0];

    DecimalSum(AggregateCall call, boolean checkEachUpdate) {
      super(call, checkEachUpdate, AggregateCall.sumType(call.argumentType()));
    }

    @Override
    void resize(int cap) {
      int old = empty.length;
      super.resize(cap);
      empty = Arrays.copyOf(empty, cap);
      Arrays.fill(empty, old, cap, true);
    }

    @Override
    Object[] seed(int g) {
      return new Object[] {decimal(sums[g]), empty[g]};
    }

    @Override
    void update(int[] gids, Col v, boolean[] sel, int from, int to) {
      for (int i = from; i < to; i++) {
        if (skip(sel, v, i)) {
          continue;
        }
        int g = g(gids, i);
        ScalarEval.Acc acc = promoted[g];
        if (acc == null) {
          if (v.repr == Col.LONG && addFits(g, v.getLong(i))) {
            empty[g] = false;
            continue;
          }
          acc = promote(g);
        }
        acc.update(v.value(i));
      }
    }

    @Override
    void merge(int[] gids, Col[] buffer, int from, int to) {
      Col s = buffer[0];
      Col e = buffer[1];
      for (int i = from; i < to; i++) {
        int g = g(gids, i);
        ScalarEval.Acc acc = promoted[g];
        boolean otherEmpty = e.isNull(i) || e.getLong(i) != 0;
        if (acc == null) {
          if (s.isNull(i) && otherEmpty) {
            continue;
          }
          if (!s.isNull(i) && s.repr == Col.LONG && addFits(g, s.getLong(i))) {
            empty[g] &= otherEmpty;
            continue;
          }
          acc = promote(g);
        }
        acc.merge(new Object[] {s.value(i), e.value(i)});
      }
    }

    @Override
    Object result(int g) {
      if (promoted[g] != null) {
        return promoted[g].result();
      }
      if (empty[g]) {
        return null;
      }
      return ScalarEval.fitDecimalOrFail(decimal(sums[g]), call.resultType(), call.ansi());
    }

    @Override
    Object[] buffer(int g) {
      if (promoted[g] != null) {
        return promoted[g].buffer();
      }
      return new Object[] {bufferSum(g), empty[g]};
    }

    @Override
    Col resultCol(int from, int n) {
      DataType t = call.resultType();
      if (anyPromoted || t.scale() != scale) {
        return super.resultCol(from, n);
      }
      long[] out = new long[n];
      boolean[] nulls = null;
      for (int i = 0; i < n; i++) {
        int g = from + i;
        if (!BatchEval.fits(sums[g], t.precision())) {
          return super.resultCol(from, n);
        }
        out[i] = sums[g];
        if (empty[g]) {
          if (nulls == null) {
            nulls = new boolean[n];
          }
          nulls[i] = true;
        }
      }
      return Col.longs(t, out, nulls, n);
    }
  }

  /** AVG of decimals: buffer (sum, count); the division is the reference's, per group. */
  static final class DecimalAvg extends DecimalState {
    private long[] counts = new long[0];

    DecimalAvg(AggregateCall call, boolean checkEachUpdate) {
      super(call, checkEachUpdate, AggregateCall.avgSumType(call.argumentType()));
    }

    @Override
    void resize(int cap) {
      super.resize(cap);
      counts = Arrays.copyOf(counts, cap);
    }

    @Override
    Object[] seed(int g) {
      return new Object[] {decimal(sums[g]), counts[g]};
    }

    @Override
    void update(int[] gids, Col v, boolean[] sel, int from, int to) {
      for (int i = from; i < to; i++) {
        if (skip(sel, v, i)) {
          continue;
        }
        int g = g(gids, i);
        ScalarEval.Acc acc = promoted[g];
        if (acc == null) {
          if (v.repr == Col.LONG && addFits(g, v.getLong(i))) {
            counts[g]++;
            continue;
          }
          acc = promote(g);
        }
        acc.update(v.value(i));
      }
    }

    @Override
    void merge(int[] gids, Col[] buffer, int from, int to) {
      Col s = buffer[0];
      Col c = buffer[1];
      for (int i = from; i < to; i++) {
        int g = g(gids, i);
        ScalarEval.Acc acc = promoted[g];
        if (acc == null) {
          if (!s.isNull(i) && !c.isNull(i) && s.repr == Col.LONG && addFits(g, s.getLong(i))) {
            counts[g] += c.getLong(i);
            continue;
          }
          acc = promote(g);
        }
        acc.merge(new Object[] {s.value(i), c.value(i)});
      }
    }

    @Override
    Object result(int g) {
      if (promoted[g] != null) {
        return promoted[g].result();
      }
      if (counts[g] == 0) {
        return null;
      }
      ScalarEval.Acc acc = ScalarEval.accumulator(call, checkEachUpdate);
      acc.merge(seed(g));
      return acc.result();
    }

    @Override
    Object[] buffer(int g) {
      if (promoted[g] != null) {
        return promoted[g].buffer();
      }
      return new Object[] {bufferSum(g), counts[g]};
    }
  }

  /** Any other call (MIN/MAX of strings and wide decimals): reference accumulators per group. */
  static final class Reference extends State {
    private final boolean checkEachUpdate;
    private ScalarEval.Acc[] accs = new ScalarEval.Acc[0];

    Reference(AggregateCall call, boolean checkEachUpdate) {
      super(call);
      this.checkEachUpdate = checkEachUpdate;
    }

    @Override
    void resize(int cap) {
      int old = accs.length;
      accs = Arrays.copyOf(accs, cap);
      for (int g = old; g < cap; g++) {
        accs[g] = ScalarEval.accumulator(call, checkEachUpdate);
      }
    }

    @Override
    void update(int[] gids, Col v, boolean[] sel, int from, int to) {
      for (int i = from; i < to; i++) {
        if (sel == null || sel[i]) {
          accs[g(gids, i)].update(v == null ? null : v.value(i));
        }
      }
    }

    @Override
    void merge(int[] gids, Col[] buffer, int from, int to) {
      for (int i = from; i < to; i++) {
        Object[] values = new Object[buffer.length];
        for (int b = 0; b < values.length; b++) {
          values[b] = buffer[b].value(i);
        }
        accs[g(gids, i)].merge(values);
      }
    }

    @Override
    Object result(int g) {
      return accs[g].result();
    }

    @Override
    Object[] buffer(int g) {
      return accs[g].buffer();
    }
  }

  /** The buffer field types of a call, for messages and checks. */
  static List<Field> bufferFields(AggregateCall call) {
    return call.bufferFields();
  }
}
