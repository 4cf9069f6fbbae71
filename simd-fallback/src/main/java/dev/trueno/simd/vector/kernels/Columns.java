package dev.trueno.simd.vector.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;

/**
 * Views of an Arrow vector's buffers in place, as little-endian ByteBuffers over the same memory,
 * and the 64-row words of validity and selection bitmaps.
 */
final class Columns {
  private Columns() {}

  /** The data buffer of {@code column}, checking that its values are {@code width} bytes wide. */
  static ByteBuffer data(BaseFixedWidthVector column, int width) {
    if (column.getTypeWidth() != width) {
      throw new IllegalArgumentException(
          "Column "
              + column.getName()
              + " has "
              + column.getTypeWidth()
              + "-byte values ("
              + column.getClass().getSimpleName()
              + "); this kernel reads "
              + width
              + "-byte values");
    }
    return view(column.getDataBuffer());
  }

  /** The validity bitmap of {@code column}, or null when it has no nulls (every row valid). */
  static ByteBuffer validity(BaseFixedWidthVector column) {
    if (column.getNullCount() == 0) {
      return null;
    }
    return view(column.getValidityBuffer());
  }

  private static ByteBuffer view(ArrowBuf buf) {
    int length = (int) Math.min(buf.capacity(), Integer.MAX_VALUE);
    return buf.nioBuffer(0, length).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Validity bits of rows {@code 64*word ..} (bit i = row 64*word+i); all ones when null. */
  static long validWord(ByteBuffer validity, int word) {
    if (validity == null) {
      return -1L;
    }
    int at = word << 3;
    if (at + 8 <= validity.capacity()) {
      return validity.getLong(at);
    }
    long bits = 0;
    for (int b = 0; at + b < validity.capacity() && b < 8; b++) {
      bits |= (validity.get(at + b) & 0xFFL) << (b << 3);
    }
    return bits;
  }

  /** Whether row {@code row} is valid. */
  static boolean isValid(ByteBuffer validity, int row) {
    return validity == null || (validity.get(row >>> 3) & (1 << (row & 7))) != 0;
  }

  /** Selection bits of word {@code word}; all ones when there is no selection. */
  static long selWord(long[] selection, int word) {
    return selection == null ? -1L : selection[word];
  }

  /** Whether row {@code row} is selected. */
  static boolean isSelected(long[] selection, int row) {
    return selection == null || (selection[row >>> 6] & (1L << row)) != 0;
  }

  /** The bits of the rows below {@code rows} in the last, partial word. */
  static long tailMask(int rows) {
    int r = rows & 63;
    return r == 0 ? -1L : (1L << r) - 1;
  }
}
