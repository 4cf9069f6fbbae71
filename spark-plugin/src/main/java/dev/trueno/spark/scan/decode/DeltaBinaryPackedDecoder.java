package dev.trueno.spark.scan.decode;

/**
 * DELTA_BINARY_PACKED: a header (block size, miniblocks per block, value count, first value), then
 * blocks of a minimum delta and bit-packed miniblocks. The whole page is decoded when the decoder
 * is made (a miniblock at a time), which also finds where the encoded data ends; the delta
 * byte-array encodings need that to find the bytes after their lengths.
 */
final class DeltaBinaryPackedDecoder implements ValuesDecoder {
  private final long[] values;
  private final int count;
  private int next;

  DeltaBinaryPackedDecoder(PageInput in) {
    int blockSize = in.readUnsignedVarInt();
    int miniblocks = in.readUnsignedVarInt();
    int total = in.readUnsignedVarInt();
    long first = in.readZigZagVarLong();
    if (blockSize <= 0
        || blockSize % 128 != 0
        || miniblocks <= 0
        || blockSize % miniblocks != 0
        || (blockSize / miniblocks) % 32 != 0) {
      throw new CorruptPageException(
          "bad delta header: block size " + blockSize + ", miniblocks " + miniblocks);
    }
    // Each block takes at least its min delta and width bytes, so a count the remaining bytes
    // cannot hold is corrupt (and must not size an array).
    long maxValues = 1 + ((long) (in.end - in.pos) / (1 + miniblocks) + 1) * blockSize;
    if (total < 0 || total > maxValues) {
      throw new CorruptPageException("bad delta value count " + total);
    }
    int perMiniblock = blockSize / miniblocks;
    values = new long[Math.max(total, 1)];
    if (total > 0) {
      values[0] = first;
    }
    int filled = total > 0 ? 1 : 0;
    long[] scratch = new long[perMiniblock];
    byte[] widths = new byte[miniblocks];
    long prev = first;
    while (filled < total) {
      long minDelta = in.readZigZagVarLong();
      in.require(miniblocks);
      System.arraycopy(in.buf, in.pos, widths, 0, miniblocks);
      in.pos += miniblocks;
      for (int m = 0; m < miniblocks && filled < total; m++) {
        int width = widths[m] & 0xff;
        if (width > 64) {
          throw new CorruptPageException("delta miniblock bit width " + width);
        }
        int bytes = perMiniblock / 8 * width;
        in.require(Math.min(bytes, ((total - filled) * (long) width + 7) / 8));
        BitPacking.unpackLongs(in.buf, in.pos, in.end, width, perMiniblock, scratch, 0);
        in.pos = (int) Math.min((long) in.pos + bytes, in.end);
        int take = Math.min(perMiniblock, total - filled);
        for (int i = 0; i < take; i++) {
          prev += minDelta + scratch[i];
          values[filled++] = prev;
        }
      }
    }
    this.count = total;
  }

  int count() {
    return count;
  }

  private void check(int n) {
    if (n > count - next) {
      throw new CorruptPageException(
          "delta-encoded page has " + (count - next) + " values left, " + n + " wanted");
    }
  }

  @Override
  public void readInts(int[] dst, int off, int n) {
    check(n);
    for (int i = 0; i < n; i++) {
      dst[off + i] = (int) values[next + i];
    }
    next += n;
  }

  @Override
  public void readLongs(long[] dst, int off, int n) {
    check(n);
    System.arraycopy(values, next, dst, off, n);
    next += n;
  }

  /** The next length, for the byte-array encodings built on this one. */
  int nextInt() {
    check(1);
    return (int) values[next++];
  }
}
