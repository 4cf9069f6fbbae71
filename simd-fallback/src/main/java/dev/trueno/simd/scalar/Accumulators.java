package dev.trueno.simd.scalar;

import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import java.math.BigDecimal;

/**
 * Accumulators for SUM, COUNT, MIN, MAX and AVG, following Spark's {@code Sum}, {@code Count},
 * {@code Min}, {@code Max} and {@code Average} declarative aggregates.
 */
final class Accumulators {
  private Accumulators() {}

  /**
   * A new accumulator for {@code call}.
   *
   * @param checkEachUpdate whether a decimal buffer is checked against its precision after every
   *     update and merge. Spark's grouped aggregation keeps buffers in UnsafeRows, whose writer
   *     turns an overflowing decimal into NULL at once; its keyless aggregation keeps buffers in
   *     local variables and checks only when the buffer or result is emitted.
   */
  static Accumulator create(AggregateCall call, boolean checkEachUpdate) {
    DataType arg = call.argumentType();
    return switch (call.function()) {
      case COUNT -> new Count(false);
      case COUNT_STAR -> new Count(true);
      case MIN -> new MinMax(false);
      case MAX -> new MinMax(true);
      case SUM -> {
        if (arg.isDecimal()) {
          yield new DecimalSum(
              AggregateCall.sumType(arg), call.resultType(), call.ansi(), checkEachUpdate);
        }
        yield arg.kind().isIntegral() ? new LongSum(call.ansi()) : new DoubleSum();
      }
      case AVG ->
          arg.isDecimal()
              ? new DecimalAvg(
                  AggregateCall.avgSumType(arg), call.resultType(), call.ansi(), checkEachUpdate)
              : new DoubleAvg(arg.kind());
    };
  }

  /** COUNT(x) and COUNT(*): a non-null long, 0 initially. */
  private static final class Count implements Accumulator {
    private final boolean star;
    private long count;

    Count(boolean star) {
      this.star = star;
    }

    @Override
    public void update(Object value) {
      if (star || value != null) {
        count++;
      }
    }

    @Override
    public void merge(Object[] buffer) {
      if (buffer[0] != null) {
        count += (Long) buffer[0];
      }
    }

    @Override
    public Object[] buffer() {
      return new Object[] {count};
    }

    @Override
    public Object result() {
      return count;
    }
  }

  /**
   * MIN and MAX: {@code Least/Greatest(buffer, value)}, which skips NULL and keeps the buffer on
   * ties, so among equal values (-0.0 and 0.0, NaNs) the first one seen wins.
   */
  private static final class MinMax implements Accumulator {
    private final boolean max;
    private Object best;

    MinMax(boolean max) {
      this.max = max;
    }

    @Override
    public void update(Object value) {
      if (value == null) {
        return;
      }
      if (best == null) {
        best = value;
        return;
      }
      int cmp = SqlOrdering.compare(value, best);
      if (max ? cmp > 0 : cmp < 0) {
        best = value;
      }
    }

    @Override
    public void merge(Object[] buffer) {
      update(buffer[0]);
    }

    @Override
    public Object[] buffer() {
      return new Object[] {best};
    }

    @Override
    public Object result() {
      return best;
    }
  }

  /**
   * SUM of integers: a long buffer, NULL until the first non-null value; {@code Add} wraps, or
   * under ANSI raises "long overflow".
   */
  private static final class LongSum implements Accumulator {
    private final boolean ansi;
    private Long sum;

    LongSum(boolean ansi) {
      this.ansi = ansi;
    }

    @Override
    public void update(Object value) {
      if (value == null) {
        return;
      }
      long base = sum == null ? 0L : sum;
      long v = (Long) value;
      if (ansi) {
        try {
          sum = Math.addExact(base, v);
        } catch (ArithmeticException e) {
          throw ArithmeticEval.overflow("long overflow", ArithmeticOp.ADD);
        }
      } else {
        sum = base + v;
      }
    }

    @Override
    public void merge(Object[] buffer) {
      update(buffer[0]);
    }

    @Override
    public Object[] buffer() {
      return new Object[] {sum};
    }

    @Override
    public Object result() {
      return sum;
    }
  }

  /** SUM of floats and doubles: a double buffer, NULL until the first non-null value. */
  private static final class DoubleSum implements Accumulator {
    private Double sum;

    @Override
    public void update(Object value) {
      if (value == null) {
        return;
      }
      // Floats are carried as the double holding the same value: Cast(float as double).
      sum = (sum == null ? 0.0 : sum) + (Double) value;
    }

    @Override
    public void merge(Object[] buffer) {
      update(buffer[0]);
    }

    @Override
    public Object[] buffer() {
      return new Object[] {sum};
    }

    @Override
    public Object result() {
      return sum;
    }
  }

  /**
   * SUM of decimals: buffer (sum, isEmpty) starting at (0, true). A NULL sum with isEmpty false
   * records an overflow; it stays NULL and makes the result NULL, or under ANSI raises "Overflow in
   * sum of decimals".
   */
  private static final class DecimalSum implements Accumulator {
    private final DataType sumType;
    private final DataType resultType;
    private final boolean ansi;
    private final boolean checkEachUpdate;
    private BigDecimal sum;
    private boolean empty = true;

    DecimalSum(DataType sumType, DataType resultType, boolean ansi, boolean checkEachUpdate) {
      this.sumType = sumType;
      this.resultType = resultType;
      this.ansi = ansi;
      this.checkEachUpdate = checkEachUpdate;
      this.sum = BigDecimal.ZERO.setScale(sumType.scale());
    }

    @Override
    public void update(Object value) {
      if (value == null) {
        return;
      }
      empty = false;
      if (sum != null) {
        sum = checked(sum.add((BigDecimal) value));
      }
    }

    @Override
    public void merge(Object[] buffer) {
      BigDecimal otherSum = (BigDecimal) buffer[0];
      boolean otherEmpty = buffer[1] == null || (Boolean) buffer[1];
      boolean overflowed = !empty && sum == null;
      boolean otherOverflowed = !otherEmpty && otherSum == null;
      if (overflowed || otherOverflowed) {
        sum = null;
      } else if (otherSum != null) {
        sum = checked(sum.add(otherSum));
      }
      empty = empty && otherEmpty;
    }

    private BigDecimal checked(BigDecimal value) {
      return checkEachUpdate ? SparkDecimals.fit(value, sumType) : value;
    }

    @Override
    public Object[] buffer() {
      return new Object[] {sum == null ? null : SparkDecimals.fit(sum, sumType), empty};
    }

    @Override
    public Object result() {
      if (empty) {
        return null;
      }
      // CheckOverflowInSum: a NULL sum is an overflow; otherwise toPrecision to the result type.
      if (sum == null) {
        if (ansi) {
          throw SparkDecimals.sumOverflow();
        }
        return null;
      }
      return SparkDecimals.fitOrFail(sum, resultType, ansi);
    }
  }

  /**
   * AVG of non-decimals: buffer (sum double, count long) starting at (0.0, 0); the result is {@code
   * Divide(sum, cast(count as double))}, NULL when the count is 0.
   */
  private static final class DoubleAvg implements Accumulator {
    private final TypeKind argumentKind;
    private Double sum = 0.0;
    private Long count = 0L;

    DoubleAvg(TypeKind argumentKind) {
      this.argumentKind = argumentKind;
    }

    @Override
    public void update(Object value) {
      double v;
      if (value == null) {
        v = 0.0;
      } else {
        v = argumentKind.isIntegral() ? (double) (Long) value : (Double) value;
        if (count != null) {
          count++;
        }
      }
      // Add(sum, coalesce(cast(x as double), 0.0)): adding 0.0 for NULL rows is kept on purpose.
      if (sum != null) {
        sum = sum + v;
      }
    }

    @Override
    public void merge(Object[] buffer) {
      Double otherSum = (Double) buffer[0];
      Long otherCount = (Long) buffer[1];
      sum = sum == null || otherSum == null ? null : sum + otherSum;
      count = count == null || otherCount == null ? null : count + otherCount;
    }

    @Override
    public Object[] buffer() {
      return new Object[] {sum, count};
    }

    @Override
    public Object result() {
      if (sum == null || count == null || count == 0) {
        return null;
      }
      return sum / (double) count;
    }
  }

  /**
   * AVG of decimal(p,s): buffer (sum decimal(p+10,s), count) starting at (0, 0); the result is
   * Spark's {@code DecimalDivideWithOverflowCheck(sum, cast(count as decimal(20,0)),
   * decimal(p+4,s+4))}: the quotient rounded HALF_UP to scale 38, then HALF_UP to the result scale,
   * NULL (or under ANSI an error) when it does not fit.
   */
  private static final class DecimalAvg implements Accumulator {
    private final DataType sumType;
    private final DataType resultType;
    private final boolean ansi;
    private final boolean checkEachUpdate;
    private BigDecimal sum;
    private Long count = 0L;

    DecimalAvg(DataType sumType, DataType resultType, boolean ansi, boolean checkEachUpdate) {
      this.sumType = sumType;
      this.resultType = resultType;
      this.ansi = ansi;
      this.checkEachUpdate = checkEachUpdate;
      this.sum = BigDecimal.ZERO.setScale(sumType.scale());
    }

    @Override
    public void update(Object value) {
      if (value == null) {
        return;
      }
      if (count != null) {
        count++;
      }
      if (sum != null) {
        sum = checked(sum.add((BigDecimal) value));
      }
    }

    @Override
    public void merge(Object[] buffer) {
      BigDecimal otherSum = (BigDecimal) buffer[0];
      Long otherCount = (Long) buffer[1];
      sum = sum == null || otherSum == null ? null : checked(sum.add(otherSum));
      count = count == null || otherCount == null ? null : count + otherCount;
    }

    private BigDecimal checked(BigDecimal value) {
      return checkEachUpdate ? SparkDecimals.fit(value, sumType) : value;
    }

    @Override
    public Object[] buffer() {
      return new Object[] {sum == null ? null : SparkDecimals.fit(sum, sumType), count};
    }

    @Override
    public Object result() {
      if (count == null || count == 0) {
        return null;
      }
      if (sum == null) {
        if (ansi) {
          throw SparkDecimals.sumOverflow();
        }
        return null;
      }
      BigDecimal quotient = SparkDecimals.divide(sum, BigDecimal.valueOf(count));
      return SparkDecimals.fitOrFail(quotient, resultType, ansi);
    }
  }
}
