package dev.trueno.spark.scan.decode;

import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * STAND-IN (replaced by the real decoder's class of the same name): the Arrow field Spark's reader
 * would give each flat Parquet column.
 */
public final class ParquetArrowSchemas {
  private ParquetArrowSchemas() {}

  /** The Arrow field of a supported column. */
  public static Field arrowField(Type type) {
    String reason = unsupportedReason(type);
    if (reason != null) {
      throw new IllegalArgumentException(reason);
    }
    return new Field(
        type.getName(),
        new FieldType(type.getRepetition() != Type.Repetition.REQUIRED, arrowType(type), null),
        null);
  }

  /** Why a column cannot be decoded, or null when it can. */
  public static String unsupportedReason(Type type) {
    if (!type.isPrimitive()) {
      return "column " + type.getName() + " is nested (" + type + ")";
    }
    if (type.getRepetition() == Type.Repetition.REPEATED) {
      return "column " + type.getName() + " is repeated";
    }
    return arrowType(type) == null
        ? "column " + type.getName() + " has an unsupported type " + type
        : null;
  }

  private static ArrowType arrowType(Type type) {
    PrimitiveType p = type.asPrimitiveType();
    LogicalTypeAnnotation a = p.getLogicalTypeAnnotation();
    if (a instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation d) {
      return d.getPrecision() <= 38
          ? new ArrowType.Decimal(d.getPrecision(), d.getScale(), 128)
          : null;
    }
    switch (p.getPrimitiveTypeName()) {
      case BOOLEAN:
        return ArrowType.Bool.INSTANCE;
      case INT32:
        if (a == null) {
          return new ArrowType.Int(32, true);
        }
        if (a instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation) {
          return new ArrowType.Date(DateUnit.DAY);
        }
        if (a instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i && i.isSigned()) {
          return new ArrowType.Int(Math.max(8, i.getBitWidth()), true);
        }
        return null;
      case INT64:
        if (a == null) {
          return new ArrowType.Int(64, true);
        }
        if (a instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i
            && i.isSigned()
            && i.getBitWidth() == 64) {
          return new ArrowType.Int(64, true);
        }
        if (a instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation t
            && t.getUnit() != LogicalTypeAnnotation.TimeUnit.NANOS) {
          return new ArrowType.Timestamp(TimeUnit.MICROSECOND, t.isAdjustedToUTC() ? "UTC" : null);
        }
        return null;
      case INT96:
        return new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
      case FLOAT:
        return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case DOUBLE:
        return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case BINARY:
        if (a instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
            || a instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
            || a instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation) {
          return ArrowType.Utf8.INSTANCE;
        }
        return a == null ? ArrowType.Binary.INSTANCE : null;
      case FIXED_LEN_BYTE_ARRAY:
        return a == null ? ArrowType.Binary.INSTANCE : null;
      default:
        return null;
    }
  }
}
