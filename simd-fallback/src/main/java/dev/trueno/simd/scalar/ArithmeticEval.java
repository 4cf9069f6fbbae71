package dev.trueno.simd.scalar;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import java.math.BigDecimal;

/**
 * Spark's {@code Add}, {@code Subtract}, {@code Multiply}, {@code Divide}, {@code Remainder} and
 * {@code UnaryMinus} on non-null operands (arithmetic.scala).
 */
final class ArithmeticEval {
  private ArithmeticEval() {}

  /** Spark's {@code DivModLike.isZero}: {@code x == 0}, so -0.0 is zero too. */
  static boolean isZero(Object value) {
    if (value instanceof Long l) {
      return l == 0;
    }
    if (value instanceof Double d) {
      return d == 0;
    }
    return value instanceof BigDecimal b && b.signum() == 0;
  }

  /**
   * {@code left op right} for non-null operands. Division by zero has been handled as NULL by the
   * caller unless ANSI is on, in which case this raises DIVIDE_BY_ZERO.
   */
  static Object apply(
      ArithmeticOp op,
      Object left,
      Object right,
      DataType operandType,
      DataType type,
      boolean ansi) {
    if ((op == ArithmeticOp.DIVIDE || op == ArithmeticOp.REMAINDER) && isZero(right)) {
      throw divideByZero();
    }
    if (type.isDecimal()) {
      return decimal(op, (BigDecimal) left, (BigDecimal) right, type, ansi);
    }
    TypeKind kind = type.kind();
    if (kind == TypeKind.DOUBLE) {
      return floating(op, (Double) left, (Double) right);
    }
    if (kind == TypeKind.FLOAT) {
      float l = (float) (double) (Double) left;
      float r = (float) (double) (Double) right;
      return (double)
          switch (op) {
            case ADD -> l + r;
            case SUBTRACT -> l - r;
            case MULTIPLY -> l * r;
            case DIVIDE -> l / r;
            case REMAINDER -> l % r;
          };
    }
    return integral(op, (Long) left, (Long) right, kind, ansi);
  }

  private static double floating(ArithmeticOp op, double l, double r) {
    return switch (op) {
      case ADD -> l + r;
      case SUBTRACT -> l - r;
      case MULTIPLY -> l * r;
      case DIVIDE -> l / r;
      case REMAINDER -> l % r;
    };
  }

  private static long integral(ArithmeticOp op, long l, long r, TypeKind kind, boolean ansi) {
    if (kind == TypeKind.LONG) {
      if (!ansi) {
        return switch (op) {
          case ADD -> l + r;
          case SUBTRACT -> l - r;
          case MULTIPLY -> l * r;
          case DIVIDE -> l / r;
          case REMAINDER -> l % r;
        };
      }
      try {
        return switch (op) {
          case ADD -> Math.addExact(l, r);
          case SUBTRACT -> Math.subtractExact(l, r);
          case MULTIPLY -> Math.multiplyExact(l, r);
          case DIVIDE -> l / r;
          case REMAINDER -> l % r;
        };
      } catch (ArithmeticException e) {
        throw overflow("long overflow", op);
      }
    }
    // Byte, short and int operands fit a long exactly, so the long result is the true result;
    // Spark narrows it (wrapping) or, under ANSI, checks it against the type's range.
    long exact =
        switch (op) {
          case ADD -> l + r;
          case SUBTRACT -> l - r;
          case MULTIPLY -> l * r;
          case DIVIDE -> l / r;
          case REMAINDER -> l % r;
        };
    long narrowed = Casts.wrap(exact, kind);
    if (ansi && narrowed != exact) {
      if (kind == TypeKind.INT) {
        throw overflow("integer overflow", op);
      }
      throw new TruenoException(
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
    return narrowed;
  }

  private static Object decimal(
      ArithmeticOp op, BigDecimal l, BigDecimal r, DataType type, boolean ansi) {
    BigDecimal raw =
        switch (op) {
          case ADD -> l.add(r);
          case SUBTRACT -> l.subtract(r);
          case MULTIPLY -> SparkDecimals.multiply(l, r);
          case DIVIDE -> SparkDecimals.divide(l, r);
          case REMAINDER -> SparkDecimals.remainder(l, r);
        };
    // BinaryArithmetic.checkDecimalOverflow: toPrecision(p, s, HALF_UP, nullOnOverflow = !ansi).
    return SparkDecimals.fitOrFail(raw, type, ansi);
  }

  /** Spark's {@code UnaryMinus} on a non-null value. */
  static Object negate(Object value, DataType type, boolean ansi) {
    if (value instanceof BigDecimal d) {
      return d.negate();
    }
    if (value instanceof Double d) {
      return -d;
    }
    long v = (Long) value;
    long negated = Casts.wrap(-v, type.kind());
    if (ansi && negated != -v || ansi && type.kind() == TypeKind.LONG && v == Long.MIN_VALUE) {
      if (type.kind() == TypeKind.INT || type.kind() == TypeKind.LONG) {
        throw overflow(type.kind() == TypeKind.INT ? "integer overflow" : "long overflow", null);
      }
      throw new TruenoException(
          ErrorCode.ARITHMETIC_OVERFLOW,
          "- "
              + v
              + " caused overflow. If necessary set spark.sql.ansi.enabled to false to"
              + " bypass this error.");
    }
    return negated;
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

  /** Spark's ARITHMETIC_OVERFLOW error for integer arithmetic, with the try_ function hint. */
  static TruenoException overflow(String what, ArithmeticOp op) {
    String hint =
        op == null
            ? ""
            : " Use 'try_" + tryName(op) + "' to tolerate overflow and" + " return NULL instead.";
    return new TruenoException(
        ErrorCode.ARITHMETIC_OVERFLOW,
        what
            + "."
            + hint
            + " If necessary set spark.sql.ansi.enabled to false to bypass this"
            + " error.");
  }

  /** Spark's DIVIDE_BY_ZERO error. */
  static TruenoException divideByZero() {
    return new TruenoException(
        ErrorCode.DIVIDE_BY_ZERO,
        "Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead."
            + " If necessary set spark.sql.ansi.enabled to false to bypass this error.");
  }
}
