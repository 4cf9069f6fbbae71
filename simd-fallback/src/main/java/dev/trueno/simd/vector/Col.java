package dev.trueno.simd.vector;

import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import dev.trueno.core.types.Utf8;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * One column of values for the rows of a batch, in primitive arrays where the type allows.
 *
 * <p>Representations: {@link #LONG} for booleans (0/1), integral kinds, dates, timestamps and
 * decimals whose unscaled values all fit a long (unscaled, at the type's scale); {@link #DOUBLE}
 * for float and double (a float is the double holding the same value); {@link #STRING} for strings
 * (UTF-8 bytes of row {@code i} are {@code data[offsets[i]..offsets[i+1])}); {@link #OBJECT} for
 * decimals that do not fit a long (BigDecimal at the type's scale). {@code nulls} is null when no
 * row is NULL; values at NULL rows are unspecified.
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

  Col(DataType type, int repr, int rows) {
    this.type = type;
    this.repr = repr;
    this.rows = rows;
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
    return nulls != null && nulls[i];
  }

  /** The value of row {@code i} in the scalar evaluator's physical form, or null. */
  Object value(int i) {
    if (isNull(i)) {
      return null;
    }
    return switch (repr) {
      case LONG -> {
        long v = longs[i];
        if (type.kind() == TypeKind.BOOLEAN) {
          yield v != 0;
        }
        yield type.isDecimal() ? BigDecimal.valueOf(v, type.scale()) : (Object) v;
      }
      case DOUBLE -> doubles[i];
      case STRING -> Utf8.wrap(Arrays.copyOfRange(data, offsets[i], offsets[i + 1]));
      default -> objects[i];
    };
  }

  /** True when row {@code i} is TRUE (not NULL, not false); only for boolean columns. */
  boolean isTrue(int i) {
    return !isNull(i) && longs[i] != 0;
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
