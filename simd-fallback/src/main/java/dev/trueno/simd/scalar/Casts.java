package dev.trueno.simd.scalar;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import java.math.BigDecimal;

/**
 * Spark's {@code Cast} among boolean and numeric types, following {@code Cast.castToLong}, {@code
 * castToInt}, {@code castToShort}, {@code castToByte}, {@code castToDecimal}, {@code castToDouble}
 * and {@code castToFloat}.
 */
final class Casts {
  private Casts() {}

  /** True when {@link #cast} implements the conversion exactly as Spark does. */
  static boolean supported(DataType from, DataType to) {
    if (from.equals(to)) {
      return true;
    }
    return castable(from.kind()) && castable(to.kind());
  }

  private static boolean castable(TypeKind kind) {
    return kind == TypeKind.BOOLEAN || kind.isNumeric();
  }

  /** Converts a non-null value of {@code from} to {@code to}; null when Spark gives NULL. */
  static Object cast(Object value, DataType from, DataType to, boolean ansi) {
    if (from.equals(to)) {
      return value;
    }
    TypeKind target = to.kind();
    if (target == TypeKind.BOOLEAN) {
      return toBoolean(value);
    }
    if (target.isIntegral()) {
      return toIntegral(value, from, to, ansi);
    }
    if (target == TypeKind.DOUBLE) {
      return toDouble(value);
    }
    if (target == TypeKind.FLOAT) {
      return toFloat(value);
    }
    if (target == TypeKind.DECIMAL) {
      return toDecimal(value, to, ansi);
    }
    throw new TruenoException(
        ErrorCode.UNSUPPORTED, "Cast from " + from + " to " + to + " is not supported");
  }

  private static Object toBoolean(Object value) {
    if (value instanceof Long l) {
      return l != 0;
    }
    if (value instanceof Double d) {
      // NaN != 0 is true in Spark as in Java.
      return d != 0;
    }
    return ((BigDecimal) value).signum() != 0;
  }

  private static Object toDouble(Object value) {
    if (value instanceof Boolean b) {
      return b ? 1d : 0d;
    }
    if (value instanceof Long l) {
      return (double) l;
    }
    if (value instanceof Double d) {
      return d;
    }
    return ((BigDecimal) value).doubleValue();
  }

  private static Object toFloat(Object value) {
    if (value instanceof Boolean b) {
      return b ? 1d : 0d;
    }
    if (value instanceof Long l) {
      return (double) (float) l;
    }
    if (value instanceof Double d) {
      return (double) (float) (double) d;
    }
    return (double) ((BigDecimal) value).floatValue();
  }

  private static Object toDecimal(Object value, DataType to, boolean ansi) {
    BigDecimal exact;
    if (value instanceof Boolean b) {
      exact = b ? BigDecimal.ONE : BigDecimal.ZERO;
    } else if (value instanceof Long l) {
      exact = BigDecimal.valueOf(l);
    } else if (value instanceof Double d) {
      // NaN and infinities give NULL even under ANSI (Spark catches the NumberFormatException).
      exact = SparkDecimals.fromDouble(d);
      if (exact == null) {
        return null;
      }
    } else {
      exact = (BigDecimal) value;
    }
    return SparkDecimals.fitOrFail(exact, to, ansi);
  }

  private static Object toIntegral(Object value, DataType from, DataType to, boolean ansi) {
    if (value instanceof Boolean b) {
      return b ? 1L : 0L;
    }
    if (value instanceof Long l) {
      return narrow(l, from, to, ansi, value);
    }
    if (value instanceof Double d) {
      return fromDouble(d, from, to, ansi);
    }
    return fromDecimal((BigDecimal) value, from, to, ansi);
  }

  /** Integral to integral: Java's narrowing (wrap) unless ANSI, which checks the range. */
  private static long narrow(long v, DataType from, DataType to, boolean ansi, Object shown) {
    long narrowed = wrap(v, to.kind());
    if (ansi && narrowed != v) {
      throw castOverflow(shown, from, to);
    }
    return narrowed;
  }

  static long wrap(long v, TypeKind kind) {
    return switch (kind) {
      case BYTE -> (byte) v;
      case SHORT -> (short) v;
      case INT -> (int) v;
      default -> v;
    };
  }

  private static long fromDouble(double d, DataType from, DataType to, boolean ansi) {
    if (to.kind() == TypeKind.LONG) {
      // DoubleExactNumeric.toLong: the bound test uses the doubles nearest the long bounds, so
      // 2^63 itself passes and saturates, exactly as in Spark.
      if (ansi && !(Math.floor(d) <= Long.MAX_VALUE && Math.ceil(d) >= Long.MIN_VALUE)) {
        throw castOverflow(d, from, to);
      }
      return (long) d;
    }
    if (ansi) {
      if (!(Math.floor(d) <= Integer.MAX_VALUE && Math.ceil(d) >= Integer.MIN_VALUE)) {
        throw castOverflow(d, from, to);
      }
      return narrow((int) d, from, to, true, d);
    }
    // Spark's non-ANSI byte and short casts go through int: x.toInt.toByte.
    return wrap((int) d, to.kind());
  }

  private static long fromDecimal(BigDecimal d, DataType from, DataType to, boolean ansi) {
    long truncated = d.toBigInteger().longValue();
    if (!ansi) {
      // Decimal.toLong truncates toward zero and keeps the low 64 bits; toInt etc. narrow that.
      return wrap(truncated, to.kind());
    }
    if (to.kind() == TypeKind.LONG) {
      if (d.toBigInteger().bitLength() > 63) {
        throw castOverflow(d, from, to);
      }
      return truncated;
    }
    if (from.precision() > 18) {
      // Decimal.roundToInt on a BigDecimal-backed value (precision above 18) tests and converts
      // through the nearest double, not the truncated value.
      double dv = d.doubleValue();
      long bound =
          to.kind() == TypeKind.INT
              ? Integer.MAX_VALUE
              : to.kind() == TypeKind.SHORT ? Short.MAX_VALUE : Byte.MAX_VALUE;
      long low = -bound - 1;
      if (!(Math.floor(dv) <= bound && Math.ceil(dv) >= low)) {
        throw castOverflow(d, from, to);
      }
      return wrap((int) dv, to.kind());
    }
    return narrow(truncated, from, to, true, d);
  }

  /** Spark's CAST_OVERFLOW error. */
  static TruenoException castOverflow(Object value, DataType from, DataType to) {
    String shown = value instanceof BigDecimal b ? b.toPlainString() + "BD" : String.valueOf(value);
    return new TruenoException(
        ErrorCode.CAST_OVERFLOW,
        "The value "
            + shown
            + " of the type \""
            + from.toString().toUpperCase(java.util.Locale.ROOT)
            + "\" cannot be cast to \""
            + to.toString().toUpperCase(java.util.Locale.ROOT)
            + "\" due to an overflow. Use `try_cast` to tolerate overflow and return NULL instead."
            + " If necessary set spark.sql.ansi.enabled to false to bypass this error.");
  }
}
