package dev.trueno.spark.scan.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * PLAIN: fixed-width values little-endian back to back (bulk-copied through a byte buffer view),
 * booleans one bit each, BYTE_ARRAY values each after a 4-byte length, FIXED_LEN_BYTE_ARRAY and
 * INT96 values back to back. Also decodes dictionary pages.
 */
final class PlainDecoder implements ValuesDecoder {
  private final PageInput in;
  private final ByteBuffer view;

  /** Bytes of a FIXED_LEN_BYTE_ARRAY / INT96 value, or -1 for length-prefixed BYTE_ARRAY. */
  private final int fixedLength;

  private int bitIndex;

  PlainDecoder(PageInput in, int fixedLength) {
    this.in = in;
    this.view = ByteBuffer.wrap(in.buf).order(ByteOrder.LITTLE_ENDIAN);
    this.fixedLength = fixedLength;
  }

  @Override
  public void readBooleans(byte[] dst, int off, int n) {
    in.require((bitIndex + (long) n + 7) / 8);
    for (int i = 0; i < n; i++) {
      dst[off + i] = (byte) ((in.buf[in.pos] >>> bitIndex) & 1);
      if (++bitIndex == 8) {
        bitIndex = 0;
        in.pos++;
      }
    }
  }

  @Override
  public void readInts(int[] dst, int off, int n) {
    in.require(4L * n);
    view.position(in.pos);
    view.asIntBuffer().get(dst, off, n);
    in.pos += 4 * n;
  }

  @Override
  public void readLongs(long[] dst, int off, int n) {
    in.require(8L * n);
    view.position(in.pos);
    view.asLongBuffer().get(dst, off, n);
    in.pos += 8 * n;
  }

  @Override
  public void readFloats(float[] dst, int off, int n) {
    in.require(4L * n);
    view.position(in.pos);
    view.asFloatBuffer().get(dst, off, n);
    in.pos += 4 * n;
  }

  @Override
  public void readDoubles(double[] dst, int off, int n) {
    in.require(8L * n);
    view.position(in.pos);
    view.asDoubleBuffer().get(dst, off, n);
    in.pos += 8 * n;
  }

  @Override
  public void readBinaries(BinaryValues dst, int n) {
    dst.ensureMoreValues(n);
    if (fixedLength >= 0) {
      long bytes = (long) fixedLength * n;
      in.require(bytes);
      dst.ensureMoreBytes(bytes);
      int end = dst.offsets[dst.count];
      System.arraycopy(in.buf, in.pos, dst.data, end, (int) bytes);
      for (int i = 1; i <= n; i++) {
        dst.offsets[dst.count + i] = end + i * fixedLength;
      }
      dst.count += n;
      in.pos += (int) bytes;
      return;
    }
    for (int i = 0; i < n; i++) {
      int len = in.readIntLittleEndian();
      if (len < 0) {
        throw new CorruptPageException("negative byte array length " + len);
      }
      in.require(len);
      dst.add(in.buf, in.pos, len);
      in.pos += len;
    }
  }
}
