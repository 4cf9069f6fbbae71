package dev.trueno.spark.scan.decode;

import java.util.Arrays;

/**
 * Decodes Parquet's RLE/bit-packed hybrid (definition levels, dictionary indices, RLE booleans) a
 * run at a time: an RLE run becomes one {@code Arrays.fill}, bit-packed groups are unpacked eight
 * values at a time straight into the caller's array.
 */
final class RleBitPackedDecoder {
  private final PageInput in;
  private final int bitWidth;
  private final int rleValueBytes;
  private int rleLeft;
  private int rleValue;

  /** Values left in the current bit-packed run, buffered ones included. */
  private int packedLeft;

  private final int[] group = new int[8];
  private int groupPos = 8;

  RleBitPackedDecoder(PageInput in, int bitWidth) {
    if (bitWidth < 0 || bitWidth > 32) {
      throw new CorruptPageException("bit width " + bitWidth + " out of range 0..32");
    }
    this.in = in;
    this.bitWidth = bitWidth;
    this.rleValueBytes = (bitWidth + 7) / 8;
  }

  /** Reads the next {@code n} values into {@code dst[off..off+n)}. */
  void readInts(int[] dst, int off, int n) {
    while (n > 0) {
      if (rleLeft == 0 && packedLeft == 0) {
        readHeader();
      }
      if (rleLeft > 0) {
        int k = Math.min(n, rleLeft);
        Arrays.fill(dst, off, off + k, rleValue);
        rleLeft -= k;
        off += k;
        n -= k;
      } else if (groupPos < 8) {
        int k = Math.min(n, Math.min(8 - groupPos, packedLeft));
        System.arraycopy(group, groupPos, dst, off, k);
        groupPos += k;
        packedLeft -= k;
        off += k;
        n -= k;
      } else if (n >= 8 && packedLeft >= 8) {
        int groups = Math.min(n, packedLeft) / 8;
        for (int g = 0; g < groups; g++) {
          BitPacking.unpack8(in.buf, in.pos, in.end, bitWidth, dst, off);
          in.pos += bitWidth;
          off += 8;
        }
        packedLeft -= groups * 8;
        n -= groups * 8;
      } else {
        BitPacking.unpack8(in.buf, in.pos, in.end, bitWidth, group, 0);
        in.pos += bitWidth;
        groupPos = 0;
      }
    }
  }

  /** Reads {@code n} levels and returns how many equal {@code level}. */
  int readLevels(int[] dst, int n, int level) {
    readInts(dst, 0, n);
    int count = 0;
    for (int i = 0; i < n; i++) {
      count += dst[i] == level ? 1 : 0;
    }
    return count;
  }

  private void readHeader() {
    if (in.pos >= in.end) {
      throw new CorruptPageException("RLE/bit-packed data ends before all values were read");
    }
    int header = in.readUnsignedVarInt();
    if ((header & 1) == 0) {
      rleLeft = header >>> 1;
      in.require(rleValueBytes);
      int v = 0;
      for (int i = 0; i < rleValueBytes; i++) {
        v |= (in.buf[in.pos++] & 0xff) << (8 * i);
      }
      rleValue = v;
      if (rleLeft == 0) {
        throw new CorruptPageException("RLE run of length 0");
      }
    } else {
      int groups = header >>> 1;
      if (groups == 0 || groups > (1 << 27)) {
        throw new CorruptPageException("bit-packed run of " + groups + " groups");
      }
      packedLeft = groups * 8;
      groupPos = 8;
      // Width 0 (a one-value dictionary) packs groups into no bytes at all.
      if (bitWidth > 0 && in.pos >= in.end) {
        throw new CorruptPageException("bit-packed run past the end of the data");
      }
    }
  }
}
