package dev.trueno.gpu.expr;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;

/**
 * An instruction that can raise an ANSI error, and how to word it. The kernel only reports the
 * site, an error code and the operands (three longs); the words are built here, on the host, and
 * must be the scalar backend's, letter for letter, because Spark users see whichever backend ran.
 */
sealed interface ErrorSite {

  /** The exception the scalar backend raises for this error with these operands. */
  TruenoException exception(int code, long v0, long v1, long v2);

  /** Integer {@code + - * %} under ANSI: overflow, or division by zero for {@code %}. */
  record IntegerArithmetic(ArithmeticOp op, TypeKind kind) implements ErrorSite {
    @Override
    public TruenoException exception(int code, long l, long r, long unused) {
      if (code == ExprOps.E_DIVIDE_BY_ZERO) {
        return divideByZero();
      }
      if (kind == TypeKind.INT || kind == TypeKind.LONG) {
        return overflow(kind == TypeKind.INT ? "integer overflow" : "long overflow", op);
      }
      return new TruenoException(
          ErrorCode.ARITHMETIC_OVERFLOW,
          l
              + " "
              + op.symbol()
              + " "
              + r
              + " caused overflow. Use 'try_"
              + tryName(op)
              + "' to tolerate overflow and return NULL instead. If necessary set"
              + " spark.sql.ansi.enabled to false to bypass this error.");
    }
  }

  /** Floating {@code /} or {@code %} under ANSI: division by zero. */
  record FloatingDivision() implements ErrorSite {
    @Override
    public TruenoException exception(int code, long v0, long v1, long v2) {
      return divideByZero();
    }
  }

  /** Unary minus of the smallest integer under ANSI. */
  record Negation(TypeKind kind) implements ErrorSite {
    @Override
    public TruenoException exception(int code, long v, long v1, long v2) {
      if (kind == TypeKind.INT || kind == TypeKind.LONG) {
        return overflow(kind == TypeKind.INT ? "integer overflow" : "long overflow", null);
      }
      return new TruenoException(
          ErrorCode.ARITHMETIC_OVERFLOW,
          "- "
              + v
              + " caused overflow. If necessary set spark.sql.ansi.enabled to false to"
              + " bypass this error.");
    }
  }

  /**
   * A decimal result that does not fit its type under ANSI; the kernel reports the exact result as
   * a 128-bit unscaled value (low, high) of scale {@code rawScale}.
   */
  record DecimalResult(int rawScale, DataType type) implements ErrorSite {
    @Override
    public TruenoException exception(int code, long low, long high, long unused) {
      BigInteger unscaled =
          BigInteger.valueOf(high).shiftLeft(64).or(new BigInteger(Long.toUnsignedString(low)));
      return outOfRange(new BigDecimal(unscaled, rawScale), type);
    }
  }

  /** A cast whose value does not fit the target under ANSI; the kernel reports the source value. */
  record CastOverflow(DataType from, DataType to) implements ErrorSite {
    @Override
    public TruenoException exception(int code, long value, long v1, long v2) {
      if (to.isDecimal()) {
        BigDecimal exact =
            from.isDecimal() ? BigDecimal.valueOf(value, from.scale()) : BigDecimal.valueOf(value);
        return outOfRange(exact, to);
      }
      String shown;
      if (from.isDecimal()) {
        shown = BigDecimal.valueOf(value, from.scale()).toPlainString() + "BD";
      } else if (from.kind().isFloating()) {
        shown = String.valueOf(Double.longBitsToDouble(value));
      } else {
        shown = String.valueOf(value);
      }
      return new TruenoException(
          ErrorCode.CAST_OVERFLOW,
          "The value "
              + shown
              + " of the type \""
              + from.toString().toUpperCase(Locale.ROOT)
              + "\" cannot be cast to \""
              + to.toString().toUpperCase(Locale.ROOT)
              + "\" due to an overflow. Use `try_cast` to tolerate overflow and return NULL"
              + " instead. If necessary set spark.sql.ansi.enabled to false to bypass this"
              + " error.");
    }
  }

  /** {@code MakeDecimal} without null-on-overflow, of an unscaled long too wide for the type. */
  record MakeDecimalOverflow(DataType type) implements ErrorSite {
    @Override
    public TruenoException exception(int code, long unscaled, long v1, long v2) {
      return outOfRange(BigDecimal.valueOf(unscaled, type.scale()), type);
    }
  }

  private static TruenoException overflow(String what, ArithmeticOp op) {
    String hint =
        op == null
            ? ""
            : " Use 'try_" + tryName(op) + "' to tolerate overflow and return NULL instead.";
    return new TruenoException(
        ErrorCode.ARITHMETIC_OVERFLOW,
        what
            + "."
            + hint
            + " If necessary set spark.sql.ansi.enabled to false to bypass this error.");
  }

  private static TruenoException divideByZero() {
    return new TruenoException(
        ErrorCode.DIVIDE_BY_ZERO,
        "Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead."
            + " If necessary set spark.sql.ansi.enabled to false to bypass this error.");
  }

  private static TruenoException outOfRange(BigDecimal value, DataType type) {
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

  private static String tryName(ArithmeticOp op) {
    return switch (op) {
      case ADD -> "add";
      case SUBTRACT -> "subtract";
      case MULTIPLY -> "multiply";
      case DIVIDE -> "divide";
      case REMAINDER -> "mod";
    };
  }
}
