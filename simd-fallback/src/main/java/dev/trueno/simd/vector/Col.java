package dev.trueno.simd.vector;

import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import dev.trueno.core.types.Utf8;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.arrow.vector.FieldVector;

/**
 * One column of values for the rows of a batch: in primitive arrays, read in place from an Arrow
 * vector's buffers, or (booleans) as bitmaps.
 *
 * <p>Representations: {@link #LONG} for booleans (0/1), integral kinds, dates, timestamps and
 * decimals whose unscaled values all fit a long (unscaled, at the type's scale); {@link #DOUBLE}
 * for float and double (a float is the double holding the same value); {@link #STRING} for strings
 * (UTF-8 bytes of row {@code i} are {@code data[offsets[i]..offsets[i+1])}); {@link #OBJECT} for
 * decimals that do not fit a long (BigDecimal at the type's scale). Values at NULL rows are
 * unspecified.
 *
 * <p>Storage of LONG and DOUBLE values, one of: {@code longs}/{@code doubles} arrays; an Arrow data
 * buffer read in place ({@code raw}, a little-endian view of {@code width}-byte values; width 16 is
 * a decimal's low word, 0 a bit-packed boolean); or, for booleans, {@code bits} in {@code
 * kernels.Bitmaps} form. NULLs, one of: {@code nulls}; the Arrow validity buffer in place ({@code
 * validity}); {@code validBits} (a set bit is a non-NULL row); none of them when no row is NULL.
 * Readers use {@link #getLong}, {@link #getDouble} and {@link #isNull}, or specialize on the
 * storage; {@link #longs()}, {@link #doubles()} and {@link #nulls()} give arrays, filling them
 * (once per column and batch, from the batch's {@link Scratch}) where the storage is not an array.
 */
final class Col {
  static final int LONG = 0;
  static final int DOUBLE = 1;
  static final int STRING = 2;
  static final int OBJECT = 3;

  final DataType type;
  final int repr;
  final int rows;
  long[] longs;
  double[] doubles;
  Object[] objects;
  byte[] data;
  int[] offsets;
  boolean[] nulls;

  /** The Arrow vector read in place, for kernels; null unless {@code raw} is set. */
  FieldVector vector;

  ByteBuffer raw;
  int width;
  ByteBuffer validity;
  long[] bits;
  long[] validBits;

  /** Where arrays filled from other storage come from; null for a fresh array each time. */
  Scratch scratch;

  Col(DataType type, int repr, int rows) {
    this.type = type;
    this.repr = repr;
    this.rows = rows;
  }

  /**
   * A column over an Arrow vector's buffers, read in place.
   *
   * @param raw little-endian view of the data buffer
   * @param width bytes per value (16: a decimal's low word; 0: one bit per value)
   * @param validity little-endian view of the validity buffer, or null when no row is NULL
   */
  static Col arrow(
      FieldVector vector,
      DataType type,
      int repr,
      ByteBuffer raw,
      int width,
      ByteBuffer validity,
      int rows,
      Scratch scratch) {
    Col c = new Col(type, repr, rows);
    c.vector = vector;
    c.raw = raw;
    c.width = width;
    c.validity = validity;
    c.scratch = scratch;
    return c;
  }

  /** A boolean column of bitmaps; {@code valid} null when no row is NULL. */
  static Col bits(long[] value, long[] valid, int rows, Scratch scratch) {
    Col c = new Col(DataType.BOOLEAN, LONG, rows);
    c.bits = value;
    c.validBits = valid;
    c.scratch = scratch;
    return c;
  }

  /** This column's values and NULLs as values of {@code other} (same representation). */
  Col as(DataType other) {
    Col c = new Col(other, repr, rows);
    c.longs = longs;
    c.doubles = doubles;
    c.objects = objects;
    c.data = data;
    c.offsets = offsets;
    c.nulls = nulls;
    c.vector = vector;
    c.raw = raw;
    c.width = width;
    c.validity = validity;
    c.bits = bits;
    c.validBits = validBits;
    c.scratch = scratch;
    return c;
  }

  /** Whether values are read from an Arrow buffer in place. */
  boolean inPlace() {
    return raw != null && longs == null && doubles == null;
  }

  /** Whether some row may be NULL (false means none is). */
  boolean hasNulls() {
    return nulls != null || validity != null || validBits != null;
  }

  /** The value of row {@code i} of a LONG column. */
  long getLong(int i) {
    if (longs != null) {
      return longs[i];
    }
    if (bits != null) {
      return (bits[i >>> 6] >>> i) & 1;
    }
    return switch (width) {
      case 8 -> raw.getLong(i << 3);
      case 16 -> raw.getLong(i << 4);
      case 4 -> raw.getInt(i << 2);
      case 2 -> raw.getShort(i << 1);
      case 1 -> raw.get(i);
      default -> (raw.get(i >>> 3) >>> (i & 7)) & 1;
    };
  }

  /** The value of row {@code i} of a DOUBLE column. */
  double getDouble(int i) {
    if (doubles != null) {
      return doubles[i];
    }
    return width == 8 ? raw.getDouble(i << 3) : raw.getFloat(i << 2);
  }

  /** The values of a LONG column as an array (filled once where stored otherwise). */
  long[] longs() {
    if (longs == null) {
      long[] out = scratch == null ? new long[rows] : scratch.longs(rows);
      for (int i = 0; i < rows; i++) {
        out[i] = getLong(i);
      }
      longs = out;
    }
    return longs;
  }

  /** The values of a DOUBLE column as an array (filled once where stored otherwise). */
  double[] doubles() {
    if (doubles == null) {
      double[] out = scratch == null ? new double[rows] : scratch.doubles(rows);
      for (int i = 0; i < rows; i++) {
        out[i] = getDouble(i);
      }
      doubles = out;
    }
    return doubles;
  }

  /** The NULL mask as an array, or null when no row is NULL. */
  boolean[] nulls() {
    if (nulls == null && (validity != null || validBits != null)) {
      boolean[] out = scratch == null ? new boolean[rows] : scratch.booleans(rows);
      for (int i = 0; i < rows; i++) {
        out[i] = isNull(i);
      }
      nulls = out;
    }
    return nulls;
  }

  static Col longs(DataType type, long[] values, boolean[] nulls, int rows) {
    Col c = new Col(type, LONG, rows);
    c.longs = values;
    c.nulls = nulls;
    return c;
  }

  static Col doubles(DataType type, double[] values, boolean[] nulls, int rows) {
    Col c = new Col(type, DOUBLE, rows);
    c.doubles = values;
    c.nulls = nulls;
    return c;
  }

  static Col strings(byte[] data, int[] offsets, boolean[] nulls, int rows) {
    Col c = new Col(DataType.STRING, STRING, rows);
    c.data = data;
    c.offsets = offsets;
    c.nulls = nulls;
    return c;
  }

  /** The representation values of {@code type} get when nothing forces {@link #OBJECT}. */
  static int naturalRepr(DataType type) {
    TypeKind k = type.kind();
    if (k.isFloating()) {
      return DOUBLE;
    }
    if (k == TypeKind.STRING) {
      return STRING;
    }
    return LONG;
  }

  boolean isNull(int i) {
    if (nulls != null) {
      return nulls[i];
    }
    if (validity != null) {
      return (validity.get(i >>> 3) & (1 << (i & 7))) == 0;
    }
    return validBits != null && (validBits[i >>> 6] & (1L << i)) == 0;
  }

  /** The value of row {@code i} in the scalar evaluator's physical form, or null. */
  Object value(int i) {
    if (isNull(i)) {
      return null;
    }
    return switch (repr) {
      case LONG -> {
        long v = getLong(i);
        if (type.kind() == TypeKind.BOOLEAN) {
          yield v != 0;
        }
        yield type.isDecimal() ? BigDecimal.valueOf(v, type.scale()) : (Object) v;
      }
      case DOUBLE -> getDouble(i);
      case STRING -> Utf8.wrap(Arrays.copyOfRange(data, offsets[i], offsets[i + 1]));
      default -> objects[i];
    };
  }

  /** True when row {@code i} is TRUE (not NULL, not false); only for boolean columns. */
  boolean isTrue(int i) {
    return !isNull(i) && getLong(i) != 0;
  }

  /** A column of one value repeated. */
  static Col constant(DataType type, Object value, int rows) {
    Object[] values = new Object[rows];
    Arrays.fill(values, value);
    return fromObjects(type, values, rows);
  }

  /** A column from values in the scalar evaluator's physical form, in the natural repr if any. */
  static Col fromObjects(DataType type, Object[] values, int rows) {
    boolean[] nulls = null;
    for (int i = 0; i < rows; i++) {
      if (values[i] == null) {
        if (nulls == null) {
          nulls = new boolean[rows];
        }
        nulls[i] = true;
      }
    }
    TypeKind k = type.kind();
    if (k.isFloating()) {
      double[] d = new double[rows];
      for (int i = 0; i < rows; i++) {
        if (values[i] != null) {
          d[i] = (Double) values[i];
        }
      }
      return doubles(type, d, nulls, rows);
    }
    if (k == TypeKind.STRING) {
      int[] offsets = new int[rows + 1];
      int total = 0;
      for (int i = 0; i < rows; i++) {
        offsets[i] = total;
        if (values[i] != null) {
          total += ((Utf8) values[i]).bytes().length;
        }
      }
      offsets[rows] = total;
      byte[] data = new byte[total];
      for (int i = 0; i < rows; i++) {
        if (values[i] != null) {
          byte[] b = ((Utf8) values[i]).bytes();
          System.arraycopy(b, 0, data, offsets[i], b.length);
        }
      }
      return strings(data, offsets, nulls, rows);
    }
    long[] l = new long[rows];
    if (k == TypeKind.DECIMAL) {
      for (int i = 0; i < rows; i++) {
        if (values[i] != null) {
          BigInteger unscaled = atScale((BigDecimal) values[i], type.scale()).unscaledValue();
          if (unscaled.bitLength() > 63) {
            Col c = new Col(type, OBJECT, rows);
            c.objects = Arrays.copyOf(values, rows);
            for (int j = 0; j < rows; j++) {
              if (c.objects[j] != null) {
                c.objects[j] = atScale((BigDecimal) c.objects[j], type.scale());
              }
            }
            c.nulls = nulls;
            return c;
          }
          l[i] = unscaled.longValue();
        }
      }
      return longs(type, l, nulls, rows);
    }
    if (k == TypeKind.BOOLEAN) {
      for (int i = 0; i < rows; i++) {
        if (values[i] != null) {
          l[i] = (Boolean) values[i] ? 1 : 0;
        }
      }
      return longs(type, l, nulls, rows);
    }
    for (int i = 0; i < rows; i++) {
      if (values[i] != null) {
        l[i] = (Long) values[i];
      }
    }
    return longs(type, l, nulls, rows);
  }

  private static BigDecimal atScale(BigDecimal value, int scale) {
    // Values are already rounded to the type; only an equal value's representation changes.
    return value.scale() == scale
        ? value
        : value.setScale(scale, java.math.RoundingMode.UNNECESSARY);
  }
}
