package dev.trueno.simd.scalar;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Utf8;
import java.math.BigDecimal;
import java.math.RoundingMode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;

/** Reads and writes the evaluator's physical values (see {@link DataType}) from Arrow vectors. */
final class VectorValues {
  private VectorValues() {}

  /** The value at {@code row}, or null for SQL NULL. */
  static Object read(FieldVector vector, int row) {
    if (vector.isNull(row)) {
      return null;
    }
    if (vector instanceof BitVector v) {
      return v.get(row) != 0;
    }
    if (vector instanceof TinyIntVector v) {
      return (long) v.get(row);
    }
    if (vector instanceof SmallIntVector v) {
      return (long) v.get(row);
    }
    if (vector instanceof IntVector v) {
      return (long) v.get(row);
    }
    if (vector instanceof BigIntVector v) {
      return v.get(row);
    }
    if (vector instanceof Float4Vector v) {
      return (double) v.get(row);
    }
    if (vector instanceof Float8Vector v) {
      return v.get(row);
    }
    if (vector instanceof DecimalVector v) {
      return v.getObject(row);
    }
    if (vector instanceof DateDayVector v) {
      return (long) v.get(row);
    }
    if (vector instanceof TimeStampVector v) {
      return v.get(row);
    }
    if (vector instanceof VarCharVector v) {
      return Utf8.wrap(v.get(row));
    }
    throw new TruenoException(
        ErrorCode.UNSUPPORTED,
        "Column "
            + vector.getName()
            + " has vector type "
            + vector.getClass().getSimpleName()
            + ", which the scalar backend cannot read");
  }

  /**
   * Writes {@code value} (of {@code type}, already within the type's range; decimals already at the
   * type's scale and precision) at {@code row}.
   */
  static void write(FieldVector vector, int row, Object value, DataType type) {
    if (value == null) {
      vector.setNull(row);
      return;
    }
    if (vector instanceof BitVector v) {
      v.setSafe(row, ((Boolean) value) ? 1 : 0);
    } else if (vector instanceof TinyIntVector v) {
      v.setSafe(row, (byte) (long) (Long) value);
    } else if (vector instanceof SmallIntVector v) {
      v.setSafe(row, (short) (long) (Long) value);
    } else if (vector instanceof IntVector v) {
      v.setSafe(row, (int) (long) (Long) value);
    } else if (vector instanceof BigIntVector v) {
      v.setSafe(row, (Long) value);
    } else if (vector instanceof Float4Vector v) {
      v.setSafe(row, (float) (double) (Double) value);
    } else if (vector instanceof Float8Vector v) {
      v.setSafe(row, (Double) value);
    } else if (vector instanceof DecimalVector v) {
      // The value is already rounded to the type; setScale only normalises an equal value.
      v.setSafe(row, ((BigDecimal) value).setScale(type.scale(), RoundingMode.UNNECESSARY));
    } else if (vector instanceof DateDayVector v) {
      v.setSafe(row, (int) (long) (Long) value);
    } else if (vector instanceof TimeStampVector v) {
      v.setSafe(row, (Long) value);
    } else if (vector instanceof VarCharVector v) {
      v.setSafe(row, ((Utf8) value).bytes());
    } else {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "Cannot write " + type + " into vector " + vector.getClass().getSimpleName());
    }
  }
}
