package dev.trueno.spark.scan.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * BYTE_STREAM_SPLIT: byte k of every value lies in stream k. A run is reassembled stream by stream
 * into a scratch buffer (sequential reads per stream), then read like PLAIN.
 */
final class ByteStreamSplitDecoder implements ValuesDecoder {
  private final PageInput in;
  private final int width;
  private final int count;
  private int next;
  private byte[] scratch = new byte[0];

  ByteStreamSplitDecoder(PageInput in, int width) {
    if (width <= 0) {
      throw new CorruptPageException("BYTE_STREAM_SPLIT with value width " + width);
    }
    int bytes = in.end - in.pos;
    if (bytes % width != 0) {
      throw new CorruptPageException(
          "BYTE_STREAM_SPLIT data of " + bytes + " bytes is not a multiple of " + width);
    }
    this.in = in;
    this.width = width;
    this.count = bytes / width;
  }

  private ByteBuffer gather(int n) {
    if (n > count - next) {
      throw new CorruptPageException(
          "BYTE_STREAM_SPLIT page has " + (count - next) + " values left, " + n + " wanted");
    }
    int bytes = n * width;
    if (scratch.length < bytes) {
      scratch = new byte[Math.max(bytes, scratch.length * 2)];
    }
    byte[] buf = in.buf;
    for (int k = 0; k < width; k++) {
      int src = in.pos + k * count + next;
      for (int i = 0, d = k; i < n; i++, d += width) {
        scratch[d] = buf[src + i];
      }
    }
    next += n;
    return ByteBuffer.wrap(scratch, 0, bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public void readInts(int[] dst, int off, int n) {
    gather(n).asIntBuffer().get(dst, off, n);
  }

  @Override
  public void readLongs(long[] dst, int off, int n) {
    gather(n).asLongBuffer().get(dst, off, n);
  }

  @Override
  public void readFloats(float[] dst, int off, int n) {
    gather(n).asFloatBuffer().get(dst, off, n);
  }

  @Override
  public void readDoubles(double[] dst, int off, int n) {
    gather(n).asDoubleBuffer().get(dst, off, n);
  }

  @Override
  public void readBinaries(BinaryValues dst, int n) {
    gather(n);
    dst.ensureMoreValues(n);
    dst.ensureMoreBytes((long) n * width);
    int end = dst.offsets[dst.count];
    System.arraycopy(scratch, 0, dst.data, end, n * width);
    for (int i = 1; i <= n; i++) {
      dst.offsets[dst.count + i] = end + i * width;
    }
    dst.count += n;
  }
}
