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
 * Moves columns between Arrow vectors and {@link Col}s: reads are bulk copies of the value and
 * validity buffers (no per-row virtual calls or null checks), writes go through the typed setters.
 */
final class ArrowCols {
  private ArrowCols() {}

  private static ByteBuffer bytes(ArrowBuf buf, long length) {
    return buf.nioBuffer(0, (int) length).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The validity of the first {@code rows} rows as a null mask, or null when none is NULL. */
  static boolean[] nulls(FieldVector v, int rows) {
    if (rows == 0 || v.getNullCount() == 0) {
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

  /** Reads the first {@code rows} rows of a vector holding values of {@code type}. */
  static Col read(FieldVector v, DataType type, int rows) {
    boolean[] nulls = nulls(v, rows);
    if (rows == 0) {
      return Col.fromObjects(type, new Object[0], 0);
    }
    ArrowBuf data = v.getDataBuffer();
    if (v instanceof BigIntVector || v instanceof TimeStampVector) {
      long[] out = new long[rows];
      bytes(data, 8L * rows).asLongBuffer().get(out);
      return Col.longs(type, out, nulls, rows);
    }
    if (v instanceof IntVector || v instanceof DateDayVector) {
      int[] in = new int[rows];
      bytes(data, 4L * rows).asIntBuffer().get(in);
      long[] out = new long[rows];
      for (int i = 0; i < rows; i++) {
        out[i] = in[i];
      }
      return Col.longs(type, out, nulls, rows);
    }
    if (v instanceof SmallIntVector) {
      short[] in = new short[rows];
      bytes(data, 2L * rows).asShortBuffer().get(in);
      long[] out = new long[rows];
      for (int i = 0; i < rows; i++) {
        out[i] = in[i];
      }
      return Col.longs(type, out, nulls, rows);
    }
    if (v instanceof TinyIntVector) {
      byte[] in = new byte[rows];
      bytes(data, rows).get(in);
      long[] out = new long[rows];
      for (int i = 0; i < rows; i++) {
        out[i] = in[i];
      }
      return Col.longs(type, out, nulls, rows);
    }
    if (v instanceof Float8Vector) {
      double[] out = new double[rows];
      bytes(data, 8L * rows).asDoubleBuffer().get(out);
      return Col.doubles(type, out, nulls, rows);
    }
    if (v instanceof Float4Vector) {
      float[] in = new float[rows];
      bytes(data, 4L * rows).asFloatBuffer().get(in);
      double[] out = new double[rows];
      for (int i = 0; i < rows; i++) {
        out[i] = in[i];
      }
      return Col.doubles(type, out, nulls, rows);
    }
    if (v instanceof BitVector) {
      byte[] bits = new byte[(rows + 7) >>> 3];
      bytes(data, bits.length).get(bits);
      long[] out = new long[rows];
      for (int i = 0; i < rows; i++) {
        out[i] = (bits[i >>> 3] >>> (i & 7)) & 1;
      }
      return Col.longs(type, out, nulls, rows);
    }
    if (v instanceof DecimalVector) {
      // 128-bit little-endian two's complement: the value fits a long when the high word is the
      // sign extension of the low word (always so for precision <= 18).
      long[] words = new long[2 * rows];
      bytes(data, 16L * rows).asLongBuffer().get(words);
      long[] out = new long[rows];
      boolean fits = true;
      for (int i = 0; i < rows; i++) {
        long lo = words[2 * i];
        out[i] = lo;
        if (words[2 * i + 1] != (lo >> 63) && (nulls == null || !nulls[i])) {
          fits = false;
        }
      }
      if (fits) {
        return Col.longs(type, out, nulls, rows);
      }
      Object[] values = new Object[rows];
      for (int i = 0; i < rows; i++) {
        values[i] = ScalarEval.read(v, i);
      }
      return Col.fromObjects(type, values, rows);
    }
    if (v instanceof VarCharVector) {
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
      values[i] = ScalarEval.read(v, i);
    }
    return Col.fromObjects(type, values, rows);
  }

  /** Writes rows {@code [0, c.rows)} of a column into rows {@code [0, c.rows)} of a vector. */
  static void write(Col c, FieldVector v) {
    int n = c.rows;
    switch (c.repr) {
      case Col.LONG -> writeLongs(c, v, n);
      case Col.DOUBLE -> {
        double[] d = c.doubles;
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
    long[] l = c.longs;
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
