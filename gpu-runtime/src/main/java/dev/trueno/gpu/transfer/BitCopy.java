package dev.trueno.gpu.transfer;

import org.apache.arrow.memory.util.MemoryUtil;

/**
 * Copies a run of bits between Arrow bitmaps (least significant bit first) at any two bit offsets,
 * 64 bits at a time: the realignment that lets a slice starting at row {@code r} of a batch become
 * rows {@code [d, d + n)} of a morsel.
 *
 * <p>Works on raw addresses and reads only the source bytes that hold the copied bits, so it never
 * touches memory past the end of the source buffer. Assumes a little-endian machine (as Arrow does
 * for its bitmaps' words).
 */
final class BitCopy {
  private BitCopy() {}

  /**
   * ORs bits {@code [srcBit, srcBit + n)} of the bitmap at {@code src} into bits {@code [dstBit,
   * dstBit + n)} of the bitmap at {@code dst}, whose bits there must be zero (bits outside the
   * range are left as they are).
   */
  static void copy(long src, long srcBit, long dst, long dstBit, long n) {
    long i = 0;
    // Up to 7 bits until the destination is at a byte boundary: they share a byte with the bits
    // before them (the previous slice's), so they are ORed in.
    long head = Math.min(n, (8 - (dstBit & 7)) & 7);
    if (head > 0) {
      orByte(dst + (dstBit >>> 3), (int) (readBits(src, srcBit, (int) head) << (dstBit & 7)));
      i = head;
    }
    long d = dst + ((dstBit + i) >>> 3); // byte-aligned from here
    // Whole 64-bit words...
    for (; n - i >= 64; i += 64, d += 8) {
      MemoryUtil.putLong(d, readWord(src, srcBit + i));
    }
    // ...whole bytes...
    for (; n - i >= 8; i += 8, d++) {
      MemoryUtil.putByte(d, (byte) readBits(src, srcBit + i, 8));
    }
    // ...and the last bits, which the next slice's bits will share the byte with.
    if (n > i) {
      orByte(d, (int) readBits(src, srcBit + i, (int) (n - i)));
    }
  }

  /** Bits {@code [bit, bit + 64)} of the bitmap at {@code src}, all of which must be copied. */
  private static long readWord(long src, long bit) {
    long at = src + (bit >>> 3);
    int shift = (int) (bit & 7);
    long low = MemoryUtil.getLong(at);
    if (shift == 0) {
      return low;
    }
    // The top bits are in a 9th byte, which holds bit + 63 and so is within the source range.
    long high = MemoryUtil.getByte(at + 8) & 0xFFL;
    return (low >>> shift) | (high << (64 - shift));
  }

  /**
   * Bits {@code [bit, bit + count)}, {@code count} in 1..8, as the low bits of the result; reads
   * only the one or two bytes that hold them.
   */
  private static long readBits(long src, long bit, int count) {
    long at = src + (bit >>> 3);
    int shift = (int) (bit & 7);
    int value = (MemoryUtil.getByte(at) & 0xFF) >>> shift;
    if (shift + count > 8) {
      value |= (MemoryUtil.getByte(at + 1) & 0xFF) << (8 - shift);
    }
    return value & ((1 << count) - 1);
  }

  private static void orByte(long at, int bits) {
    MemoryUtil.putByte(at, (byte) (MemoryUtil.getByte(at) | bits));
  }
}
