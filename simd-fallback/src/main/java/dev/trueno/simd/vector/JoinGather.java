package dev.trueno.simd.vector;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;

/**
 * Gathers the rows a join outputs from Arrow vectors straight into Arrow vectors: fixed-width
 * values copied by address (8, 4, 2, 1 or 16 bytes), booleans and validity as bitmaps built a word
 * at a time, strings as one byte copy per row into a data buffer sized in a first pass. No value is
 * boxed. A source row of -1 gathers a NULL (the NULL-extended side of an outer join).
 */
final class JoinGather {
  private JoinGather() {}

  private static final int FIXED = 0;
  private static final int BITS = 1;
  private static final int STRING = 2;

  /**
   * One column across the batches it is gathered from (one per build batch, or the one probe
   * batch): the buffer addresses, read once, so that a gather is a loop over plain longs. Read-only
   * once made, so one source may serve several threads.
   */
  static final class Source {
    final int kind;
    final int width;
    final long[] data;
    final long[] validity;
    final long[] offsets;
    final boolean[] noNulls;
    // No NULL in any batch: validity follows from the row numbers alone.
    boolean allValid = true;

    private Source(int kind, int width, int batches) {
      this.kind = kind;
      this.width = width;
      data = new long[batches];
      validity = new long[batches];
      offsets = new long[batches];
      noNulls = new boolean[batches];
    }

    /** The column whose values in batch {@code b} are {@code vectors.get(b)}. */
    static Source of(List<FieldVector> vectors, FieldVector prototype) {
      int kind;
      int width = 0;
      if (prototype instanceof BitVector) {
        kind = BITS;
      } else if (prototype instanceof BaseFixedWidthVector f) {
        kind = FIXED;
        width = f.getTypeWidth();
      } else if (prototype instanceof VarCharVector) {
        kind = STRING;
      } else {
        throw new TruenoException(
            ErrorCode.UNSUPPORTED,
            "The simd join cannot gather a column of vector type "
                + prototype.getClass().getSimpleName());
      }
      Source s = new Source(kind, width, vectors.size());
      for (int b = 0; b < vectors.size(); b++) {
        FieldVector v = vectors.get(b);
        s.noNulls[b] = v.getNullCount() == 0;
        s.allValid &= s.noNulls[b];
        s.validity[b] = v.getValidityBuffer().memoryAddress();
        s.data[b] = v.getDataBuffer().memoryAddress();
        if (kind == STRING) {
          s.offsets[b] = v.getOffsetBuffer().memoryAddress();
        }
      }
      return s;
    }

    boolean valid(int b, int r) {
      return noNulls[b] || (MemoryUtil.getByte(validity[b] + (r >>> 3)) >> (r & 7) & 1) != 0;
    }
  }

  /**
   * Fills rows {@code [0, n)} of {@code dst} (freshly allocated here) with row {@code rows[i]} of
   * batch {@code batches[i]} of {@code src} ({@code batches} null: batch 0); a row of -1 is NULL.
   */
  static void gather(Source src, int[] batches, int[] rows, int n, FieldVector dst) {
    long[] valid = new long[(n + 63) >>> 6];
    switch (src.kind) {
      case FIXED -> fixed(src, batches, rows, n, (BaseFixedWidthVector) dst, valid);
      case BITS -> bits(src, batches, rows, n, (BitVector) dst, valid);
      default -> strings(src, batches, rows, n, (VarCharVector) dst, valid);
    }
    writeBits(dst.getValidityBuffer(), valid, n);
  }

  /** Fills rows {@code [0, n)} of {@code dst} with NULLs. */
  static void nulls(FieldVector dst, int n) {
    if (dst instanceof BaseVariableWidthVector v) {
      v.allocateNew(0, n);
      v.getOffsetBuffer().setZero(0, 4L * (n + 1));
      v.setLastSet(n - 1);
    } else {
      ((BaseFixedWidthVector) dst).allocateNew(n);
      ArrowBuf data = dst.getDataBuffer();
      data.setZero(0, data.capacity());
    }
    ArrowBuf validity = dst.getValidityBuffer();
    validity.setZero(0, validity.capacity());
  }

  /** Fills rows {@code [0, n)} of a boolean vector with non-NULL {@code flags[from, from + n)}. */
  static void flags(boolean[] flags, int from, int n, BitVector dst) {
    dst.allocateNew(n);
    long[] value = new long[(n + 63) >>> 6];
    long[] valid = new long[value.length];
    for (int i = 0; i < n; i++) {
      long bit = 1L << i;
      valid[i >>> 6] |= bit;
      if (flags[from + i]) {
        value[i >>> 6] |= bit;
      }
    }
    writeBits(dst.getDataBuffer(), value, n);
    writeBits(dst.getValidityBuffer(), valid, n);
  }

  private static void fixed(
      Source src, int[] batches, int[] rows, int n, BaseFixedWidthVector dst, long[] valid) {
    dst.allocateNew(n);
    long to = dst.getDataBuffer().memoryAddress();
    int w = src.width;
    long[] data = src.data;
    if ((w == 8 || w == 4) && src.allValid) {
      if (w == 8) {
        longs(data, batches, rows, n, to);
      } else {
        ints(data, batches, rows, n, to);
      }
      validUnlessMissing(rows, n, valid);
      return;
    }
    for (int i = 0; i < n; i++) {
      int r = rows[i];
      long at = to + (long) w * i;
      if (r < 0) {
        MemoryUtil.setMemory(at, w, (byte) 0);
        continue;
      }
      int b = batches == null ? 0 : batches[i];
      if (src.valid(b, r)) {
        valid[i >>> 6] |= 1L << i;
      }
      long from = data[b] + (long) w * r;
      switch (w) {
        case 8 -> MemoryUtil.putLong(at, MemoryUtil.getLong(from));
        case 4 -> MemoryUtil.putInt(at, MemoryUtil.getInt(from));
        case 16 -> {
          MemoryUtil.putLong(at, MemoryUtil.getLong(from));
          MemoryUtil.putLong(at + 8, MemoryUtil.getLong(from + 8));
        }
        case 2 -> MemoryUtil.putShort(at, MemoryUtil.getShort(from));
        case 1 -> MemoryUtil.putByte(at, MemoryUtil.getByte(from));
        default -> MemoryUtil.copyMemory(from, at, w);
      }
    }
  }

  /** Sets the validity bits of the rows that are not -1, 64 rows to a register. */
  private static void validUnlessMissing(int[] rows, int n, long[] valid) {
    int any = 0;
    for (int i = 0; i < n; i++) {
      any |= rows[i];
    }
    if (any >= 0) {
      // No -1 row (no NULL-extended side): all valid.
      Arrays.fill(valid, -1L);
      if ((n & 63) != 0) {
        valid[valid.length - 1] = (1L << n) - 1;
      }
      return;
    }
    for (int w = 0; w < valid.length; w++) {
      long bits = 0;
      int end = Math.min(n, (w + 1) << 6);
      for (int i = w << 6; i < end; i++) {
        bits |= (long) (~rows[i] >>> 31) << i;
      }
      valid[w] = bits;
    }
  }

  // The common widths without NULLs: a loop without per-row validity reads or width switch, whose
  // random reads of build rows are independent and so overlap their cache misses.
  private static void longs(long[] data, int[] batches, int[] rows, int n, long to) {
    if (batches == null) {
      long from = data[0];
      for (int i = 0; i < n; i++) {
        int r = rows[i];
        MemoryUtil.putLong(to + 8L * i, r < 0 ? 0 : MemoryUtil.getLong(from + 8L * r));
      }
      return;
    }
    for (int i = 0; i < n; i++) {
      int r = rows[i];
      MemoryUtil.putLong(to + 8L * i, r < 0 ? 0 : MemoryUtil.getLong(data[batches[i]] + 8L * r));
    }
  }

  private static void ints(long[] data, int[] batches, int[] rows, int n, long to) {
    if (batches == null) {
      long from = data[0];
      for (int i = 0; i < n; i++) {
        int r = rows[i];
        MemoryUtil.putInt(to + 4L * i, r < 0 ? 0 : MemoryUtil.getInt(from + 4L * r));
      }
      return;
    }
    for (int i = 0; i < n; i++) {
      int r = rows[i];
      MemoryUtil.putInt(to + 4L * i, r < 0 ? 0 : MemoryUtil.getInt(data[batches[i]] + 4L * r));
    }
  }

  private static void bits(
      Source src, int[] batches, int[] rows, int n, BitVector dst, long[] valid) {
    dst.allocateNew(n);
    long[] value = new long[valid.length];
    for (int i = 0; i < n; i++) {
      int r = rows[i];
      if (r < 0) {
        continue;
      }
      int b = batches == null ? 0 : batches[i];
      if (src.valid(b, r)) {
        valid[i >>> 6] |= 1L << i;
      }
      if ((MemoryUtil.getByte(src.data[b] + (r >>> 3)) >> (r & 7) & 1) != 0) {
        value[i >>> 6] |= 1L << i;
      }
    }
    writeBits(dst.getDataBuffer(), value, n);
  }

  private static void strings(
      Source src, int[] batches, int[] rows, int n, VarCharVector dst, long[] valid) {
    long total = 0;
    for (int i = 0; i < n; i++) {
      int r = rows[i];
      if (r >= 0) {
        long o = src.offsets[batches == null ? 0 : batches[i]] + 4L * r;
        total += MemoryUtil.getInt(o + 4) - MemoryUtil.getInt(o);
      }
    }
    if (total > Integer.MAX_VALUE) {
      throw new TruenoException(
          ErrorCode.MEMORY_EXHAUSTED,
          "A join output batch of "
              + n
              + " rows would hold "
              + total
              + " bytes of one string column, over 2 GiB; lower the batch size");
    }
    dst.allocateNew(Math.max(total, 1), n);
    long offsets = dst.getOffsetBuffer().memoryAddress();
    long to = dst.getDataBuffer().memoryAddress();
    int end = 0;
    MemoryUtil.putInt(offsets, 0);
    for (int i = 0; i < n; i++) {
      int r = rows[i];
      if (r >= 0) {
        int b = batches == null ? 0 : batches[i];
        if (src.valid(b, r)) {
          valid[i >>> 6] |= 1L << i;
        }
        long o = src.offsets[b] + 4L * r;
        int start = MemoryUtil.getInt(o);
        int len = MemoryUtil.getInt(o + 4) - start;
        if (len > 0) {
          MemoryUtil.copyMemory(src.data[b] + start, to + end, len);
          end += len;
        }
      }
      MemoryUtil.putInt(offsets + 4L * (i + 1), end);
    }
    dst.setLastSet(n - 1);
  }

  /** Writes the first {@code n} bits of {@code words} to the start of {@code buf}. */
  static void writeBits(ArrowBuf buf, long[] words, int n) {
    int bytes = (n + 7) >>> 3;
    int full = bytes >>> 3;
    for (int w = 0; w < full; w++) {
      buf.setLong(8L * w, words[w]);
    }
    for (int i = full << 3; i < bytes; i++) {
      buf.setByte(i, (byte) (words[i >>> 3] >>> ((i & 7) << 3)));
    }
  }
}
