package dev.trueno.spark.scan.decode;

import java.util.List;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DateLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Maps Parquet types to the Arrow types the scan produces, following Spark's {@code
 * ParquetToSparkSchemaConverter} with its default settings (INT96 as timestamp, unannotated BINARY
 * as binary, local timestamps as TimestampNTZ). A type Spark reads differently or not at all is
 * unsupported here, with a reason, so the scan falls back to Spark's reader.
 */
public final class ParquetArrowSchemas {
  /** Spark's TimestampType is an instant; Arrow needs a zone to say so, and UTC is exact. */
  static final String UTC = "UTC";

  private ParquetArrowSchemas() {}

  /**
   * The Arrow field for a top-level Parquet column; nullable unless the column is REQUIRED.
   *
   * @throws IllegalArgumentException when {@link #unsupportedReason} is not null
   */
  public static Field arrowField(Type type) {
    ArrowType arrowType = arrowType(kind(type), type);
    boolean nullable = !type.isRepetition(Type.Repetition.REQUIRED);
    return new Field(type.getName(), new FieldType(nullable, arrowType, null), List.of());
  }

  /** Why the scan cannot read this top-level column, or null when it can. */
  public static String unsupportedReason(Type type) {
    try {
      kind(type);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** How a column is decoded; throws IllegalArgumentException with the reason if it cannot be. */
  static ColumnKind kind(Type type) {
    String name = type.getName();
    if (!type.isPrimitive()) {
      return unsupported(
          name, "nested type " + describe(type) + " (struct, list or map) is not supported yet");
    }
    if (type.isRepetition(Type.Repetition.REPEATED)) {
      return unsupported(name, "repeated field " + describe(type) + " (an array) is not supported");
    }
    PrimitiveType p = type.asPrimitiveType();
    LogicalTypeAnnotation a = p.getLogicalTypeAnnotation();
    switch (p.getPrimitiveTypeName()) {
      case BOOLEAN:
        return a == null ? ColumnKind.BOOLEAN : illegal(p);
      case FLOAT:
        return a == null ? ColumnKind.FLOAT : illegal(p);
      case DOUBLE:
        return a == null ? ColumnKind.DOUBLE : illegal(p);
      case INT32:
        if (a == null) {
          return ColumnKind.INT32;
        } else if (a instanceof IntLogicalTypeAnnotation i) {
          return switch (i.getBitWidth()) {
            case 8 -> i.isSigned() ? ColumnKind.INT8 : ColumnKind.INT16;
            case 16 -> i.isSigned() ? ColumnKind.INT16 : ColumnKind.INT32;
            case 32 -> i.isSigned() ? ColumnKind.INT32 : ColumnKind.UINT32;
            default -> illegal(p);
          };
        } else if (a instanceof DateLogicalTypeAnnotation) {
          return ColumnKind.DATE;
        } else if (a instanceof DecimalLogicalTypeAnnotation d) {
          checkDecimal(p, d, 9);
          return ColumnKind.DECIMAL_INT32;
        }
        return illegal(p);
      case INT64:
        if (a == null) {
          return ColumnKind.INT64;
        } else if (a instanceof IntLogicalTypeAnnotation i && i.getBitWidth() == 64) {
          return i.isSigned() ? ColumnKind.INT64 : ColumnKind.UINT64;
        } else if (a instanceof DecimalLogicalTypeAnnotation d) {
          checkDecimal(p, d, 18);
          return ColumnKind.DECIMAL_INT64;
        } else if (a instanceof TimestampLogicalTypeAnnotation t) {
          boolean utc = t.isAdjustedToUTC();
          return switch (t.getUnit()) {
            case MICROS -> utc ? ColumnKind.TIMESTAMP_MICROS : ColumnKind.TIMESTAMP_NTZ_MICROS;
            case MILLIS -> utc ? ColumnKind.TIMESTAMP_MILLIS : ColumnKind.TIMESTAMP_NTZ_MILLIS;
            case NANOS ->
                unsupported(
                    name,
                    describe(p)
                        + ": Spark reads nanosecond timestamps only as bigint, with"
                        + " spark.sql.legacy.parquet.nanosAsLong");
          };
        }
        return illegal(p);
      case INT96:
        return a == null ? ColumnKind.INT96_TIMESTAMP : illegal(p);
      case BINARY:
        if (a == null || a instanceof LogicalTypeAnnotation.BsonLogicalTypeAnnotation) {
          return ColumnKind.BINARY;
        } else if (a instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
            || a instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
            || a instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation) {
          return ColumnKind.STRING;
        } else if (a instanceof DecimalLogicalTypeAnnotation d) {
          checkDecimal(p, d, 38);
          return ColumnKind.DECIMAL_BYTES;
        }
        return illegal(p);
      case FIXED_LEN_BYTE_ARRAY:
        if (a == null) {
          return ColumnKind.BINARY;
        } else if (a instanceof DecimalLogicalTypeAnnotation d) {
          checkDecimal(p, d, Math.min(38, maxPrecisionForBytes(p.getTypeLength())));
          return ColumnKind.DECIMAL_BYTES;
        }
        return illegal(p);
      default:
        return illegal(p);
    }
  }

  static ArrowType arrowType(ColumnKind kind, Type type) {
    return switch (kind) {
      case BOOLEAN -> ArrowType.Bool.INSTANCE;
      case INT8 -> new ArrowType.Int(8, true);
      case INT16 -> new ArrowType.Int(16, true);
      case INT32 -> new ArrowType.Int(32, true);
      case UINT32, INT64 -> new ArrowType.Int(64, true);
      case UINT64 -> new ArrowType.Decimal(20, 0, 128);
      case FLOAT -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case DOUBLE -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case DATE -> new ArrowType.Date(DateUnit.DAY);
      case TIMESTAMP_MICROS, TIMESTAMP_MILLIS, INT96_TIMESTAMP ->
          new ArrowType.Timestamp(TimeUnit.MICROSECOND, UTC);
      case TIMESTAMP_NTZ_MICROS, TIMESTAMP_NTZ_MILLIS ->
          new ArrowType.Timestamp(TimeUnit.MICROSECOND, null);
      case DECIMAL_INT32, DECIMAL_INT64, DECIMAL_BYTES -> {
        DecimalLogicalTypeAnnotation d =
            (DecimalLogicalTypeAnnotation) type.getLogicalTypeAnnotation();
        yield new ArrowType.Decimal(d.getPrecision(), d.getScale(), 128);
      }
      case STRING -> ArrowType.Utf8.INSTANCE;
      case BINARY -> ArrowType.Binary.INSTANCE;
    };
  }

  /** The most decimal digits a two's complement number of {@code bytes} bytes always holds. */
  static int maxPrecisionForBytes(int bytes) {
    return (int) Math.floor(Math.log10(Math.pow(2, 8.0 * bytes - 1) - 1));
  }

  private static void checkDecimal(PrimitiveType p, DecimalLogicalTypeAnnotation d, int max) {
    if (d.getPrecision() < 1 || d.getPrecision() > max) {
      unsupported(
          p.getName(),
          describe(p) + ": invalid decimal precision " + d.getPrecision() + " (max " + max + ")");
    }
    if (d.getScale() < 0 || d.getScale() > d.getPrecision()) {
      unsupported(p.getName(), describe(p) + ": invalid decimal scale " + d.getScale());
    }
  }

  private static ColumnKind illegal(PrimitiveType p) {
    return unsupported(p.getName(), "Parquet type " + describe(p) + " is not read by Spark");
  }

  private static ColumnKind unsupported(String column, String why) {
    throw new IllegalArgumentException("column " + column + ": " + why);
  }

  private static String describe(Type type) {
    return type.toString().trim();
  }
}
