package dev.trueno.simd.vector;

import dev.trueno.core.types.DataType;
import dev.trueno.simd.scalar.ScalarEval;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;
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

/**
 * Moves columns between Arrow vectors and {@link Col}s: fixed-width reads are views of the value
 * and validity buffers in place (no copy, no per-row virtual calls), writes go through the typed
 * setters.
 */
final class ArrowCols {
  private ArrowCols() {}

  private static ByteBuffer bytes(ArrowBuf buf, long length) {
    return buf.nioBuffer(0, (int) length).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** A little-endian view of a whole buffer, over the same memory. */
  private static ByteBuffer view(ArrowBuf buf) {
    return bytes(buf, Math.min(buf.capacity(), Integer.MAX_VALUE));
  }

  /** The validity buffer of a vector in place, or null when none of the first rows is NULL. */
  private static ByteBuffer validity(FieldVector v, int rows) {
    // The null count covers the vector's value count; a vector that claims fewer values than the
    // batch has rows gets its bitmap read, so that no NULL goes unseen.
    if (v.getValueCount() >= rows && v.getNullCount() == 0) {
      return null;
    }
    return view(v.getValidityBuffer());
  }

  /**
   * The first {@code rows} rows of a vector holding values of {@code type}. Fixed-width numeric,
   * date, timestamp and boolean vectors, and decimals that fit a long, are read in place (the
   * column is a view of the vector's buffers, valid while the batch is); strings, wide decimals and
   * other vectors are copied.
   */
  static Col read(FieldVector v, DataType type, int rows, Scratch scratch) {
    if (rows == 0) {
      return Col.fromObjects(type, new Object[0], 0);
    }
    int width = inPlaceWidth(v);
    if (width >= 0) {
      int repr = v instanceof Float8Vector || v instanceof Float4Vector ? Col.DOUBLE : Col.LONG;
      ByteBuffer valid = validity(v, rows);
      ByteBuffer data = view(v.getDataBuffer());
      if (width != 16 || lowWordsHold(data, valid, rows)) {
        return Col.arrow(v, type, repr, data, width, valid, rows, scratch);
      }
    }
    return copy(v, type, rows);
  }

  /** The width {@link Col} reads values of {@code v} in place with, or -1 when it copies them. */
  private static int inPlaceWidth(FieldVector v) {
    if (v instanceof BigIntVector || v instanceof TimeStampVector || v instanceof Float8Vector) {
      return 8;
    }
    if (v instanceof IntVector || v instanceof DateDayVector || v instanceof Float4Vector) {
      return 4;
    }
    if (v instanceof SmallIntVector) {
      return 2;
    }
    if (v instanceof TinyIntVector) {
      return 1;
    }
    if (v instanceof BitVector) {
      return 0;
    }
    if (v instanceof DecimalVector) {
      return 16;
    }
    return -1;
  }

  /**
   * Whether every non-NULL 128-bit decimal is its low word sign-extended, so that the low words are
   * the values (always so for precision <= 18, but the buffer is checked, not trusted).
   */
  private static boolean lowWordsHold(ByteBuffer data, ByteBuffer validity, int rows) {
    for (int i = 0; i < rows; i++) {
      if (data.getLong((i << 4) + 8) != (data.getLong(i << 4) >> 63)
          && (validity == null || (validity.get(i >>> 3) & (1 << (i & 7))) != 0)) {
        return false;
      }
    }
    return true;
  }

  /** The validity of the first {@code rows} rows as a null mask, or null when none is NULL. */
  static boolean[] nulls(FieldVector v, int rows) {
    if (rows == 0 || (v.getValueCount() >= rows && v.getNullCount() == 0)) {
      return null;
    }
    byte[] bits = new byte[(rows + 7) >>> 3];
    bytes(v.getValidityBuffer(), bits.length).get(bits);
    boolean[] nulls = new boolean[rows];
    for (int i = 0; i < rows; i++) {
      nulls[i] = (bits[i >>> 3] & (1 << (i & 7))) == 0;
    }
    return nulls;
  }

  /** Copies the first {@code rows} rows of a string, wide decimal or other vector. */
  private static Col copy(FieldVector v, DataType type, int rows) {
    boolean[] nulls = nulls(v, rows);
    ArrowBuf data = v.getDataBuffer();
    if (v instanceof VarCharVector) {
      // Strings stay copies: comparisons, hashing and the group table work on byte[] ranges.
      int[] offsets = new int[rows + 1];
      bytes(v.getOffsetBuffer(), 4L * (rows + 1)).asIntBuffer().get(offsets);
      int start = offsets[0];
      byte[] bytes = new byte[offsets[rows] - start];
      if (bytes.length > 0) {
        data.getBytes(start, bytes);
      }
      if (start != 0) {
        for (int i = 0; i <= rows; i++) {
          offsets[i] -= start;
        }
      }
      return Col.strings(bytes, offsets, nulls, rows);
    }
    Object[] values = new Object[rows];
    for (int i = 0; i < rows; i++) {
      values[i] = nulls != null && nulls[i] ? null : ScalarEval.read(v, i);
    }
    return Col.fromObjects(type, values, rows);
  }

  /** Writes rows {@code [0, c.rows)} of a column into rows {@code [0, c.rows)} of a vector. */
  static void write(Col c, FieldVector v) {
    int n = c.rows;
    switch (c.repr) {
      case Col.LONG -> writeLongs(c, v, n);
      case Col.DOUBLE -> {
        double[] d = c.doubles();
        if (v instanceof Float8Vector f) {
          for (int i = 0; i < n; i++) {
            if (c.isNull(i)) {
              f.setNull(i);
            } else {
              f.setSafe(i, d[i]);
            }
          }
        } else {
          Float4Vector f = (Float4Vector) v;
          for (int i = 0; i < n; i++) {
            if (c.isNull(i)) {
              f.setNull(i);
            } else {
              f.setSafe(i, (float) d[i]);
            }
          }
        }
      }
      case Col.STRING -> {
        VarCharVector s = (VarCharVector) v;
        for (int i = 0; i < n; i++) {
          if (c.isNull(i)) {
            s.setNull(i);
          } else {
            s.setSafe(i, c.data, c.offsets[i], c.offsets[i + 1] - c.offsets[i]);
          }
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          ScalarEval.write(v, i, c.objects[i], c.type);
        }
      }
    }
  }

  private static void writeLongs(Col c, FieldVector v, int n) {
    long[] l = c.longs();
    for (int i = 0; i < n; i++) {
      if (c.isNull(i)) {
        v.setNull(i);
        continue;
      }
      long x = l[i];
      if (v instanceof BigIntVector b) {
        b.setSafe(i, x);
      } else if (v instanceof IntVector b) {
        b.setSafe(i, (int) x);
      } else if (v instanceof DecimalVector b) {
        b.setSafe(i, x);
      } else if (v instanceof DateDayVector b) {
        b.setSafe(i, (int) x);
      } else if (v instanceof TimeStampVector b) {
        b.setSafe(i, x);
      } else if (v instanceof SmallIntVector b) {
        b.setSafe(i, (short) x);
      } else if (v instanceof TinyIntVector b) {
        b.setSafe(i, (byte) x);
      } else if (v instanceof BitVector b) {
        b.setSafe(i, (int) x);
      } else {
        ScalarEval.write(v, i, c.value(i), c.type);
      }
    }
  }
}
