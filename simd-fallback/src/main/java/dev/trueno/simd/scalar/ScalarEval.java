package dev.trueno.simd.scalar;

import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.types.DataType;
import java.math.BigDecimal;
import java.util.function.IntFunction;
import org.apache.arrow.vector.FieldVector;

/**
 * The scalar reference semantics, opened to other CPU backends so that whatever they do not
 * vectorize is computed exactly as the reference computes it (one row, one value, one accumulator
 * at a time). Values are in the evaluator's physical form (see {@link DataType}).
 */
public final class ScalarEval {
  private ScalarEval() {}

  /** The value of {@code expr} for one row whose column values {@code row} gives, or null. */
  public static Object eval(Expr expr, IntFunction<Object> row) {
    return ExprEvaluator.eval(expr, row::apply);
  }

  /** True only when the value is TRUE (not NULL, not false), as filters and CASE test. */
  public static boolean isTrue(Object value) {
    return ExprEvaluator.isTrue(value);
  }

  /** The value at {@code row} of an Arrow vector, or null for SQL NULL. */
  public static Object read(FieldVector vector, int row) {
    return VectorValues.read(vector, row);
  }

  /** Writes a value (already fitted to {@code type}) into an Arrow vector. */
  public static void write(FieldVector vector, int row, Object value, DataType type) {
    VectorValues.write(vector, row, value, type);
  }

  /** Spark's ordering of two non-null values of one type. */
  public static int compare(Object left, Object right) {
    return SqlOrdering.compare(left, right);
  }

  /** Spark's {@code toPrecision} (HALF_UP), or null when the value does not fit the type. */
  public static BigDecimal fitDecimal(BigDecimal value, DataType type) {
    return SparkDecimals.fit(value, type);
  }

  /** {@link #fitDecimal}, raising NUMERIC_VALUE_OUT_OF_RANGE under ANSI instead of NULL. */
  public static BigDecimal fitDecimalOrFail(BigDecimal value, DataType type, boolean ansi) {
    return SparkDecimals.fitOrFail(value, type, ansi);
  }

  /** The ARITHMETIC_OVERFLOW error of an ANSI SUM of integers that overflowed. */
  public static TruenoException longSumOverflow() {
    return ArithmeticEval.overflow("long overflow", ArithmeticOp.ADD);
  }

  /**
   * A reference accumulator for one aggregate call and one group, for values a vectorized state
   * cannot hold (decimals beyond a long, strings).
   */
  public static Acc accumulator(AggregateCall call, boolean checkEachUpdate) {
    return new Acc(Accumulators.create(call, checkEachUpdate));
  }

  /** One group's reference aggregation state; see {@code Accumulator}. */
  public static final class Acc {
    private final Accumulator delegate;

    private Acc(Accumulator delegate) {
      this.delegate = delegate;
    }

    /** Folds in one input value (null for NULL). */
    public void update(Object value) {
      delegate.update(value);
    }

    /** Folds in another phase's buffer, in {@code AggregateCall.bufferFields} order. */
    public void merge(Object[] buffer) {
      delegate.merge(buffer);
    }

    /** The buffer values Spark would write. */
    public Object[] buffer() {
      return delegate.buffer();
    }

    /** The final value. */
    public Object result() {
      return delegate.result();
    }
  }
}
