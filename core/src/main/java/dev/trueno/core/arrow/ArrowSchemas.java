package dev.trueno.core.arrow;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Maps Trueno types to the Arrow types Spark's {@code ArrowColumnVector} reads, and back.
 *
 * <p>Timestamps are microseconds with a time-zone label, as Spark writes {@code TimestampType} into
 * Arrow; the label does not change the stored instant.
 */
public final class ArrowSchemas {
  /** The time-zone label of timestamp vectors (values are UTC instants). */
  public static final String TIMESTAMP_ZONE = "UTC";

  private ArrowSchemas() {}

  /** The Arrow type that holds values of {@code type}. */
  public static ArrowType arrowType(DataType type) {
    return switch (type.kind()) {
      case BOOLEAN -> ArrowType.Bool.INSTANCE;
      case BYTE -> new ArrowType.Int(8, true);
      case SHORT -> new ArrowType.Int(16, true);
      case INT -> new ArrowType.Int(32, true);
      case LONG -> new ArrowType.Int(64, true);
      case FLOAT -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case DOUBLE -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case DECIMAL -> new ArrowType.Decimal(type.precision(), type.scale(), 128);
      case DATE -> new ArrowType.Date(DateUnit.DAY);
      case TIMESTAMP -> new ArrowType.Timestamp(TimeUnit.MICROSECOND, TIMESTAMP_ZONE);
      case STRING -> ArrowType.Utf8.INSTANCE;
    };
  }

  /** The Trueno type of an Arrow type, or an UNSUPPORTED error naming the column. */
  public static DataType truenoType(ArrowType arrow, String column) {
    if (arrow instanceof ArrowType.Bool) {
      return DataType.BOOLEAN;
    }
    if (arrow instanceof ArrowType.Int i && i.getIsSigned()) {
      switch (i.getBitWidth()) {
        case 8:
          return DataType.BYTE;
        case 16:
          return DataType.SHORT;
        case 32:
          return DataType.INT;
        case 64:
          return DataType.LONG;
        default:
          break;
      }
    }
    if (arrow instanceof ArrowType.FloatingPoint f) {
      if (f.getPrecision() == FloatingPointPrecision.SINGLE) {
        return DataType.FLOAT;
      }
      if (f.getPrecision() == FloatingPointPrecision.DOUBLE) {
        return DataType.DOUBLE;
      }
    }
    if (arrow instanceof ArrowType.Decimal d && d.getBitWidth() == 128) {
      return DataType.decimal(d.getPrecision(), d.getScale());
    }
    if (arrow instanceof ArrowType.Date d && d.getUnit() == DateUnit.DAY) {
      return DataType.DATE;
    }
    if (arrow instanceof ArrowType.Timestamp t
        && t.getUnit() == TimeUnit.MICROSECOND
        && t.getTimezone() != null) {
      return DataType.TIMESTAMP;
    }
    if (arrow instanceof ArrowType.Utf8) {
      return DataType.STRING;
    }
    throw new TruenoException(
        ErrorCode.UNSUPPORTED, "Column " + column + " has Arrow type " + arrow + ", not supported");
  }

  /** An Arrow field for a Trueno field. */
  public static org.apache.arrow.vector.types.pojo.Field arrowField(Field field) {
    return new org.apache.arrow.vector.types.pojo.Field(
        field.name(), new FieldType(field.nullable(), arrowType(field.type()), null), null);
  }

  /** An Arrow schema for Trueno fields. */
  public static Schema arrowSchema(List<Field> fields) {
    List<org.apache.arrow.vector.types.pojo.Field> out = new ArrayList<>(fields.size());
    for (Field f : fields) {
      out.add(arrowField(f));
    }
    return new Schema(out);
  }
}
