package dev.trueno.spark.scan.decode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Unpacks little-endian bit-packed values (Parquet's RLE/bit-packed hybrid and delta encodings pack
 * them least significant bit first). Bytes past {@code end} read as zero: a writer may stop the
 * last group early, and reading past the page must never pick up a neighbour's bytes.
 */
final class BitPacking {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private BitPacking() {}

  /** Unpacks 8 values of {@code bitWidth} (0..32) bits starting at {@code pos}. */
  static void unpack8(byte[] buf, int pos, int end, int bitWidth, int[] out, int outOff) {
    if (bitWidth == 0) {
      java.util.Arrays.fill(out, outOff, outOff + 8, 0);
      return;
    }
    long mask = (1L << bitWidth) - 1;
    boolean whole = pos + bitWidth <= end;
    if (whole && pos + bitWidth + 8 <= buf.length) {
      // The common case, a group inside the page: one little-endian 8-byte read per value. Bytes
      // read past the group (never past the array) are masked off, so they cannot leak in.
      for (int i = 0; i < 8; i++) {
        int bit = i * bitWidth;
        long word = (long) LONGS.get(buf, pos + (bit >>> 3));
        out[outOff + i] = (int) ((word >>> (bit & 7)) & mask);
      }
      return;
    }
    long acc = 0;
    int bits = 0;
    int p = pos;
    for (int i = 0; i < 8; i++) {
      while (bits < bitWidth) {
        int b = whole || p < end ? buf[p] & 0xff : 0;
        p++;
        acc |= (long) b << bits;
        bits += 8;
      }
      out[outOff + i] = (int) (acc & mask);
      acc >>>= bitWidth;
      bits -= bitWidth;
    }
  }

  /** Unpacks {@code count} values of {@code bitWidth} (0..64) bits starting at {@code pos}. */
  static void unpackLongs(
      byte[] buf, int pos, int end, int bitWidth, int count, long[] out, int outOff) {
    if (bitWidth == 0) {
      java.util.Arrays.fill(out, outOff, outOff + count, 0L);
      return;
    }
    if (bitWidth <= 56) {
      long mask = (1L << bitWidth) - 1;
      long acc = 0;
      int bits = 0;
      int p = pos;
      for (int i = 0; i < count; i++) {
        while (bits < bitWidth) {
          int b = p < end ? buf[p] & 0xff : 0;
          p++;
          acc |= (long) b << bits;
          bits += 8;
        }
        out[outOff + i] = acc & mask;
        acc >>>= bitWidth;
        bits -= bitWidth;
      }
      return;
    }
    // Wide values do not fit one 64-bit accumulator with a partial byte: gather bit ranges.
    long bitPos = (long) pos * 8;
    for (int i = 0; i < count; i++) {
      long v = 0;
      int shift = 0;
      int remaining = bitWidth;
      while (remaining > 0) {
        int byteIndex = (int) (bitPos >>> 3);
        int bitInByte = (int) (bitPos & 7);
        int b = byteIndex < end ? buf[byteIndex] & 0xff : 0;
        int take = Math.min(8 - bitInByte, remaining);
        v |= ((long) ((b >>> bitInByte) & ((1 << take) - 1))) << shift;
        shift += take;
        remaining -= take;
        bitPos += take;
      }
      out[outOff + i] = v;
    }
  }
}
