package dev.trueno.gpu.transfer;

import dev.trueno.core.morsel.Morsel;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;

/**
 * Writes a morsel's needed columns into a staging buffer in the layout of {@link ColumnLayout}:
 * slices concatenated, validity (and boolean) bits realigned so that row 0 of the morsel is bit 0.
 */
final class HostStaging {
  private HostStaging() {}

  /** Writes {@code slices} into {@code staging} (absolute positions) as {@code layout} says. */
  static void write(List<Morsel.Slice> slices, List<ColumnLayout> layout, ByteBuffer staging) {
    for (int c = 0; c < layout.size(); c++) {
      ColumnLayout column = layout.get(c);
      // The bit copies OR bits in: start from zeros (also the padding bits of the last byte).
      zero(staging, column.validityOffset(), column.validityBytes());
      if (column.typeWidth() == 0) {
        zero(staging, column.valuesOffset(), column.valuesBytes());
      }
      long row = 0;
      for (Morsel.Slice slice : slices) {
        FieldVector vector = slice.columns().get(c);
        int n = slice.rowCount();
        copyBits(
            vector.getValidityBuffer(), slice.fromRow(), staging, column.validityOffset(), row, n);
        if (column.typeWidth() == 0) {
          copyBits(vector.getDataBuffer(), slice.fromRow(), staging, column.valuesOffset(), row, n);
        } else {
          long width = column.typeWidth();
          int at = Math.toIntExact(column.valuesOffset() + row * width);
          vector
              .getDataBuffer()
              .getBytes(slice.fromRow() * width, staging.slice(at, Math.toIntExact(n * width)));
        }
        row += n;
      }
    }
  }

  private static void zero(ByteBuffer staging, long offset, long bytes) {
    int from = Math.toIntExact(offset);
    for (int i = 0; i < bytes; i++) {
      staging.put(from + i, (byte) 0);
    }
  }

  /**
   * ORs bits {@code [srcBit, srcBit + n)} of {@code src} into bits {@code [dstBit, dstBit + n)} of
   * the bitmap at byte {@code dstBase} of {@code dst}, whose bits there must be zero.
   */
  static void copyBits(
      ArrowBuf src, long srcBit, ByteBuffer dst, long dstBase, long dstBit, int n) {
    int i = 0;
    // Bit by bit until the destination is byte-aligned...
    while (i < n && ((dstBit + i) & 7) != 0) {
      orBit(src, srcBit + i, dst, dstBase, dstBit + i);
      i++;
    }
    int wholeBytes = (n - i) / 8;
    if (wholeBytes > 0) {
      long s = srcBit + i;
      int d = Math.toIntExact(dstBase + ((dstBit + i) >>> 3));
      int shift = (int) (s & 7);
      if (shift == 0) {
        // ...then whole bytes in one copy when the source is aligned too (the common case)...
        src.getBytes(s >>> 3, dst.slice(d, wholeBytes));
      } else {
        // ...or a byte at a time from a 16-bit window; byte k + 1 exists because bit s + 7 of
        // this byte's window is one of the n bits copied.
        long k = s >>> 3;
        for (int b = 0; b < wholeBytes; b++, k++) {
          int window = (src.getByte(k) & 0xFF) | (src.getByte(k + 1) & 0xFF) << 8;
          dst.put(d + b, (byte) (window >>> shift));
        }
      }
      i += wholeBytes * 8;
    }
    // ...and the tail bit by bit.
    for (; i < n; i++) {
      orBit(src, srcBit + i, dst, dstBase, dstBit + i);
    }
  }

  private static void orBit(ArrowBuf src, long srcBit, ByteBuffer dst, long dstBase, long dstBit) {
    int bit = (src.getByte(srcBit >>> 3) >>> (srcBit & 7)) & 1;
    int at = Math.toIntExact(dstBase + (dstBit >>> 3));
    dst.put(at, (byte) (dst.get(at) | bit << (dstBit & 7)));
  }
}
