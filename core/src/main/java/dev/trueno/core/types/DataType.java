package dev.trueno.core.types;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;

/**
 * A value type of the Trueno IR.
 *
 * <p>Values are carried, in the scalar evaluator, in one physical form per kind: {@link Boolean}
 * for BOOLEAN; {@link Long} for BYTE, SHORT, INT, LONG, DATE (days since the epoch) and TIMESTAMP
 * (microseconds since the epoch, UTC); {@link Double} for FLOAT and DOUBLE (a FLOAT value is always
 * a value that a float can hold exactly); {@link java.math.BigDecimal} with this type's scale for
 * DECIMAL; {@link Utf8} for STRING. {@code null} is SQL NULL.
 *
 * @param kind the kind of value
 * @param precision decimal precision (1 to 38), 0 for other kinds
 * @param scale decimal scale (0 to precision), 0 for other kinds
 */
public record DataType(TypeKind kind, int precision, int scale) implements java.io.Serializable {

  /** The largest decimal precision Trueno (and Spark) supports. */
  public static final int MAX_DECIMAL_PRECISION = 38;

  public static final DataType BOOLEAN = new DataType(TypeKind.BOOLEAN, 0, 0);
  public static final DataType BYTE = new DataType(TypeKind.BYTE, 0, 0);
  public static final DataType SHORT = new DataType(TypeKind.SHORT, 0, 0);
  public static final DataType INT = new DataType(TypeKind.INT, 0, 0);
  public static final DataType LONG = new DataType(TypeKind.LONG, 0, 0);
  public static final DataType FLOAT = new DataType(TypeKind.FLOAT, 0, 0);
  public static final DataType DOUBLE = new DataType(TypeKind.DOUBLE, 0, 0);
  public static final DataType DATE = new DataType(TypeKind.DATE, 0, 0);
  public static final DataType TIMESTAMP = new DataType(TypeKind.TIMESTAMP, 0, 0);
  public static final DataType STRING = new DataType(TypeKind.STRING, 0, 0);

  /** Validates the decimal parameters. */
  public DataType {
    if (kind == TypeKind.DECIMAL) {
      if (precision < 1 || precision > MAX_DECIMAL_PRECISION || scale < 0 || scale > precision) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Invalid decimal type: precision " + precision + ", scale " + scale);
      }
    } else if (precision != 0 || scale != 0) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Only decimals have precision and scale, not " + kind);
    }
  }

  /** A decimal type with the given precision and scale. */
  public static DataType decimal(int precision, int scale) {
    return new DataType(TypeKind.DECIMAL, precision, scale);
  }

  /**
   * Spark's {@code DecimalType.bounded}: the precision and scale capped at 38, as Spark types the
   * results of SUM and AVG.
   */
  public static DataType boundedDecimal(int precision, int scale) {
    return decimal(
        Math.min(precision, MAX_DECIMAL_PRECISION), Math.min(scale, MAX_DECIMAL_PRECISION));
  }

  /** True when values of this type are decimals. */
  public boolean isDecimal() {
    return kind == TypeKind.DECIMAL;
  }

  /** True when values of this type are carried as {@link Long} in the scalar evaluator. */
  public boolean isLongBacked() {
    return kind.isIntegral() || kind == TypeKind.DATE || kind == TypeKind.TIMESTAMP;
  }

  @Override
  public String toString() {
    return kind == TypeKind.DECIMAL
        ? "decimal(" + precision + "," + scale + ")"
        : kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
