package dev.trueno.simd.vector.join;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;

/**
 * How one key column is read from Arrow and which keys it can equal: integers of any width compare
 * as longs (a date as its day number, a timestamp as its micros), doubles as their normalized bits,
 * decimals that fit a long as their unscaled value at one scale, strings as UTF-8 bytes.
 */
record KeyType(Repr repr, int scale) {

  /** The physical layout, which picks the hashing kernel and the reader. */
  enum Repr {
    /** 4-byte integers: int, date. */
    INT4,
    /** 8-byte integers: bigint, timestamp, date in millis. */
    INT8,
    /** 1- and 2-byte integers, read one value at a time. */
    SMALL_INT,
    DOUBLE,
    /** Decimal of precision at most 18: the low 8 bytes of Arrow's 16 are the unscaled long. */
    DECIMAL,
    STRING
  }

  boolean isString() {
    return repr == Repr.STRING;
  }

  /** Whether keys of this type and {@code other} can be equal: same comparison domain. */
  boolean comparableWith(KeyType other) {
    return domain() == other.domain() && (repr != Repr.DECIMAL || scale == other.scale);
  }

  private int domain() {
    return switch (repr) {
      case INT4, INT8, SMALL_INT -> 0;
      case DOUBLE -> 1;
      case DECIMAL -> 2;
      case STRING -> 3;
    };
  }

  static KeyType of(FieldVector v, int ordinal, String side) {
    if (v instanceof IntVector || v instanceof DateDayVector) {
      return new KeyType(Repr.INT4, 0);
    }
    if (v instanceof BigIntVector || v instanceof TimeStampVector || v instanceof DateMilliVector) {
      return new KeyType(Repr.INT8, 0);
    }
    if (v instanceof SmallIntVector || v instanceof TinyIntVector) {
      return new KeyType(Repr.SMALL_INT, 0);
    }
    if (v instanceof Float8Vector) {
      return new KeyType(Repr.DOUBLE, 0);
    }
    if (v instanceof DecimalVector d && d.getPrecision() <= 18) {
      return new KeyType(Repr.DECIMAL, d.getScale());
    }
    if (v instanceof VarCharVector) {
      return new KeyType(Repr.STRING, 0);
    }
    throw new TruenoException(
        ErrorCode.UNSUPPORTED,
        "Cannot use "
            + side
            + " column "
            + ordinal
            + " ("
            + v.getField()
            + ") as a hash-join key: supported are integers, dates, timestamps, doubles,"
            + " decimals of precision <= 18 and strings; plan this join without Trueno");
  }
}
