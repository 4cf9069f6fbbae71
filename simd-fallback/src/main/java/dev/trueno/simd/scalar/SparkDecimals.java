package dev.trueno.simd.scalar;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.types.DataType;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** Spark's {@code Decimal} arithmetic on {@link BigDecimal}, rounding step by rounding step. */
final class SparkDecimals {
  /** Spark's {@code Decimal.MATH_CONTEXT}: 38 significant digits, HALF_UP. */
  static final MathContext MATH_CONTEXT = new MathContext(38, RoundingMode.HALF_UP);

  /** Spark's {@code DecimalType.MAX_SCALE}, the scale of every decimal quotient. */
  static final int DIVISION_SCALE = 38;

  private SparkDecimals() {}

  /**
   * Spark's {@code Decimal.toPrecision(p, s, ROUND_HALF_UP)}: the value rounded HALF_UP to the
   * type's scale, or null when it then has more digits than the type's precision.
   */
  static BigDecimal fit(BigDecimal value, DataType type) {
    BigDecimal rounded = value.setScale(type.scale(), RoundingMode.HALF_UP);
    return rounded.precision() > type.precision() ? null : rounded;
  }

  /**
   * {@link #fit}, with Spark's handling of a value that does not fit: NULL, or under ANSI the
   * NUMERIC_VALUE_OUT_OF_RANGE error.
   */
  static BigDecimal fitOrFail(BigDecimal value, DataType type, boolean ansi) {
    BigDecimal fitted = fit(value, type);
    if (fitted == null && ansi) {
      throw outOfRange(value, type);
    }
    return fitted;
  }

  /**
   * Spark's {@code MakeDecimal}: the decimal with this unscaled value, or, when it has more digits
   * than the precision, NULL ({@code nullOnOverflow}) or an error.
   */
  static BigDecimal makeDecimal(long unscaled, DataType type, boolean nullOnOverflow) {
    BigDecimal value = BigDecimal.valueOf(unscaled, type.scale());
    if (value.precision() > type.precision() && unscaled != 0) {
      if (nullOnOverflow) {
        return null;
      }
      throw outOfRange(value, type);
    }
    return value;
  }

  /** Spark's NUMERIC_VALUE_OUT_OF_RANGE error for a value that {@code type} cannot hold. */
  static TruenoException outOfRange(BigDecimal value, DataType type) {
    return new TruenoException(
        ErrorCode.NUMERIC_VALUE_OUT_OF_RANGE,
        value.toPlainString()
            + " cannot be represented as Decimal("
            + type.precision()
            + ", "
            + type.scale()
            + "). If necessary set spark.sql.ansi.enabled to false to bypass this error, and"
            + " return NULL instead.");
  }

  /** Spark's ARITHMETIC_OVERFLOW error for a SUM or AVG whose decimal buffer overflowed. */
  static TruenoException sumOverflow() {
    return new TruenoException(
        ErrorCode.ARITHMETIC_OVERFLOW,
        "Overflow in sum of decimals. If necessary set spark.sql.ansi.enabled to false to bypass"
            + " this error.");
  }

  /**
   * Spark's {@code Decimal(double)}: the shortest decimal string of the double (Scala's {@code
   * BigDecimal.decimal}), not its binary expansion; null for NaN and infinities, which Spark's
   * casts turn into NULL.
   */
  static BigDecimal fromDouble(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return null;
    }
    return new BigDecimal(Double.toString(value));
  }

  /** Spark's {@code Decimal./}: the quotient rounded HALF_UP to scale 38. */
  static BigDecimal divide(BigDecimal dividend, BigDecimal divisor) {
    return dividend.divide(divisor, DIVISION_SCALE, RoundingMode.HALF_UP);
  }

  /** Spark's {@code Decimal.*}: the product rounded HALF_UP to 38 significant digits. */
  static BigDecimal multiply(BigDecimal left, BigDecimal right) {
    return left.multiply(right, MATH_CONTEXT);
  }

  /** Spark's {@code Decimal.%}: the remainder computed with 38 significant digits. */
  static BigDecimal remainder(BigDecimal left, BigDecimal right) {
    return left.remainder(right, MATH_CONTEXT);
  }
}
