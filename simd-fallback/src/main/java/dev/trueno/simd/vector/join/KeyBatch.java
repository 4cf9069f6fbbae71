package dev.trueno.simd.vector.join;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.simd.vector.kernels.Bitmaps;
import dev.trueno.simd.vector.kernels.Hashing;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The join keys of one Arrow batch in the form the hash table compares them: a 64-bit hash per row,
 * a bitmap of the rows that can match at all, and per key column the canonical values (longs, or
 * the batch's string bytes and offsets) and the NULLs. Built once per batch so that the
 * row-at-a-time table walk reads plain arrays instead of Arrow buffers through bounds checks.
 */
final class KeyBatch {
  private static final VarHandle LE_LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  final int rows;
  final long[] hashes;

  /** Rows with no NULL in a key compared with {@code =}: the only rows that can match. */
  final long[] matchable;

  /** Per key column: canonical values, null for strings. */
  final long[][] values;

  /** Per string key column: the batch's value bytes and its {@code rows + 1} offsets. */
  final byte[][] bytes;

  final int[][] offsets;

  /** Per key column: validity (1 = not NULL), or null when the column has no NULLs. */
  final long[][] valid;

  final KeyType[] types;

  private KeyBatch(int rows, int keyCount) {
    this.rows = rows;
    hashes = new long[rows];
    matchable = Bitmaps.allocate(rows);
    values = new long[keyCount][];
    bytes = new byte[keyCount][];
    offsets = new int[keyCount][];
    valid = new long[keyCount][];
    types = new KeyType[keyCount];
  }

  /**
   * Reads the key columns {@code ordinals} of {@code root}; where {@code expected} is given (the
   * build side's key types), each column must be comparable with it.
   */
  static KeyBatch of(
      VectorSchemaRoot root, int[] ordinals, boolean[] nullSafe, KeyType[] expected, String side) {
    int rows = root.getRowCount();
    int keyCount = ordinals.length;
    KeyBatch b = new KeyBatch(rows, keyCount);
    List<FieldVector> vectors = root.getFieldVectors();
    for (int c = 0; c < keyCount; c++) {
      int ordinal = ordinals[c];
      if (ordinal < 0 || ordinal >= vectors.size()) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Join key ordinal "
                + ordinal
                + " is out of range for a "
                + side
                + " batch of "
                + vectors.size()
                + " columns");
      }
      FieldVector v = vectors.get(ordinal);
      if (v.getValueCount() != rows) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Join key column "
                + ordinal
                + " of a "
                + side
                + " batch has "
                + v.getValueCount()
                + " values but the batch has "
                + rows
                + " rows");
      }
      KeyType t = KeyType.of(v, ordinal, side);
      if (expected != null && !t.comparableWith(expected[c])) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Join key "
                + c
                + " has type "
                + t
                + " on the "
                + side
                + " side (column "
                + ordinal
                + ") but "
                + expected[c]
                + " on the build side: the planner must cast both keys to one type");
      }
      b.types[c] = t;
      b.valid[c] = validity(v, rows);
      b.read(c, v, t);
      b.hash(c, v, t);
    }
    // A row can match only if every key compared with `=` is non-NULL: AND the validity words.
    long[] m = b.matchable;
    Arrays.fill(m, -1L);
    if (rows > 0) {
      m[m.length - 1] = tailMask(rows);
    }
    for (int c = 0; c < keyCount; c++) {
      if (!nullSafe[c] && b.valid[c] != null) {
        long[] bits = b.valid[c];
        for (int w = 0; w < m.length; w++) {
          m[w] &= bits[w];
        }
      }
    }
    return b;
  }

  boolean isNull(int c, int row) {
    long[] bits = valid[c];
    return bits != null && (bits[row >>> 6] & (1L << row)) == 0;
  }

  private static long tailMask(int rows) {
    return (rows & 63) == 0 ? -1L : (1L << rows) - 1;
  }

  private static long[] validity(FieldVector v, int rows) {
    if (rows == 0 || v.getNullCount() == 0) {
      return null;
    }
    long[] out = Bitmaps.allocate(rows);
    if (v instanceof BaseFixedWidthVector f && f.getValueCount() == rows) {
      Bitmaps.validity(f, out);
      return out;
    }
    ArrowBuf buf = v.getValidityBuffer();
    int bytes = (rows + 7) >>> 3;
    for (int i = 0; i < bytes; i++) {
      out[i >>> 3] |= (buf.getByte(i) & 0xffL) << ((i & 7) << 3);
    }
    out[out.length - 1] &= tailMask(rows);
    return out;
  }

  // Canonical values: what equal keys share bit for bit (doubles normalized like Spark's
  // NormalizeFloatingNumbers, so -0.0 == 0.0 and every NaN is one key).
  private void read(int c, FieldVector v, KeyType t) {
    if (t.isString()) {
      VarCharVector s = (VarCharVector) v;
      int[] o = new int[rows + 1];
      if (rows > 0) {
        ArrowBuf ob = s.getOffsetBuffer();
        for (int r = 0; r <= rows; r++) {
          o[r] = ob.getInt((long) r * 4);
        }
      }
      // Rebase so that offsets index the copied bytes from 0.
      int start = o[0];
      int len = o[rows] - start;
      byte[] data = new byte[len];
      if (len > 0) {
        s.getDataBuffer().getBytes(start, data, 0, len);
      }
      if (start != 0) {
        for (int r = 0; r <= rows; r++) {
          o[r] -= start;
        }
      }
      bytes[c] = data;
      offsets[c] = o;
      return;
    }
    long[] out = new long[rows];
    switch (t.repr()) {
      case INT4 -> {
        // Read by address, without ArrowBuf's per-value bounds checks, once the buffer is known to
        // hold every row.
        long d = address(v, rows, 4);
        for (int r = 0; r < rows; r++) {
          out[r] = MemoryUtil.getInt(d + ((long) r << 2));
        }
      }
      case INT8 -> {
        long d = address(v, rows, 8);
        for (int r = 0; r < rows; r++) {
          out[r] = MemoryUtil.getLong(d + ((long) r << 3));
        }
      }
      case DECIMAL -> {
        ArrowBuf d = v.getDataBuffer();
        for (int r = 0; r < rows; r++) {
          out[r] = d.getLong((long) r << 4);
        }
      }
      case DOUBLE -> {
        ArrowBuf d = v.getDataBuffer();
        for (int r = 0; r < rows; r++) {
          double x = d.getDouble((long) r << 3);
          out[r] = x == 0.0 ? 0L : Double.doubleToLongBits(x);
        }
      }
      case SMALL_INT -> {
        BaseIntVector i = (BaseIntVector) v;
        long[] bits = valid[c];
        for (int r = 0; r < rows; r++) {
          out[r] = bits != null && (bits[r >>> 6] & (1L << r)) == 0 ? 0 : i.getValueAsLong(r);
        }
      }
      default -> throw new AssertionError(t);
    }
    values[c] = out;
  }

  /** The data buffer's address, after checking that it holds {@code rows} values of width bytes. */
  private static long address(FieldVector v, int rows, int width) {
    ArrowBuf d = v.getDataBuffer();
    if (d.capacity() < (long) rows * width) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "Join key column "
              + v.getField()
              + " has "
              + d.capacity()
              + " data bytes, too few for "
              + rows
              + " values of "
              + width
              + " bytes");
    }
    return d.memoryAddress();
  }

  // Column-wise hashing: the Vector API kernels for 4- and 8-byte integers and doubles; a scalar
  // loop for layouts they do not read (decimals are 16 bytes wide, strings variable), producing
  // the same hash for the same canonical value so that an int key equals a bigint key.
  private void hash(int c, FieldVector v, KeyType t) {
    boolean first = c == 0;
    switch (t.repr()) {
      case INT4 -> {
        if (first) {
          Hashing.hashInts((BaseFixedWidthVector) v, hashes);
        } else {
          Hashing.combineInts((BaseFixedWidthVector) v, hashes);
        }
      }
      case INT8 -> {
        if (first) {
          Hashing.hashLongs((BaseFixedWidthVector) v, hashes);
        } else {
          Hashing.combineLongs((BaseFixedWidthVector) v, hashes);
        }
      }
      case DOUBLE -> {
        if (first) {
          Hashing.hashDoubles((BaseFixedWidthVector) v, hashes);
        } else {
          Hashing.combineDoubles((BaseFixedWidthVector) v, hashes);
        }
      }
      case DECIMAL, SMALL_INT -> {
        long[] vals = values[c];
        for (int r = 0; r < rows; r++) {
          long h = isNull(c, r) ? Hashing.NULL_HASH : Hashing.hash(vals[r]);
          hashes[r] = first ? h : Hashing.combine(hashes[r], h);
        }
      }
      case STRING -> {
        byte[] data = bytes[c];
        int[] o = offsets[c];
        for (int r = 0; r < rows; r++) {
          long h = isNull(c, r) ? Hashing.NULL_HASH : hashBytes(data, o[r], o[r + 1]);
          hashes[r] = first ? h : Hashing.combine(hashes[r], h);
        }
      }
      default -> throw new AssertionError(t);
    }
  }

  /** A hash of {@code data[from, to)}, 8 bytes at a time, finished with Murmur3's finalizer. */
  static long hashBytes(byte[] data, int from, int to) {
    long h = 0x9e3779b97f4a7c15L ^ (to - from);
    int i = from;
    for (; i + 8 <= to; i += 8) {
      h = Long.rotateLeft(h ^ (long) LE_LONGS.get(data, i), 31) * 0xff51afd7ed558ccdL;
    }
    long tail = 0;
    for (int shift = 0; i < to; i++, shift += 8) {
      tail |= (data[i] & 0xffL) << shift;
    }
    return Hashing.hash(h ^ tail);
  }
}
