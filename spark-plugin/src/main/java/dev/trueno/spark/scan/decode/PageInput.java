package dev.trueno.spark.scan.decode;

/**
 * A cursor over a page's bytes. Reads that run past the end throw {@link CorruptPageException},
 * which the column reader turns into an error naming the file, column and row group.
 */
final class PageInput {
  final byte[] buf;
  int pos;
  final int end;

  PageInput(byte[] buf, int pos, int end) {
    if (pos < 0 || end > buf.length || pos > end) {
      throw new CorruptPageException("page section [" + pos + ", " + end + ") out of range");
    }
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  void require(long bytes) {
    if (bytes < 0 || pos + bytes > end) {
      throw new CorruptPageException(
          "page data ends early: need " + bytes + " bytes at " + pos + ", page ends at " + end);
    }
  }

  int readUnsignedVarInt() {
    int value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      require(1);
      int b = buf[pos++] & 0xff;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new CorruptPageException("variable-length int longer than 5 bytes");
  }

  long readUnsignedVarLong() {
    long value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      require(1);
      int b = buf[pos++] & 0xff;
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new CorruptPageException("variable-length long longer than 10 bytes");
  }

  long readZigZagVarLong() {
    long v = readUnsignedVarLong();
    return (v >>> 1) ^ -(v & 1);
  }

  int readIntLittleEndian() {
    require(4);
    int v =
        (buf[pos] & 0xff)
            | (buf[pos + 1] & 0xff) << 8
            | (buf[pos + 2] & 0xff) << 16
            | (buf[pos + 3] & 0xff) << 24;
    pos += 4;
    return v;
  }
}
