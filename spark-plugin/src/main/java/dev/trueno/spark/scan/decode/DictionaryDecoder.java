package dev.trueno.spark.scan.decode;

/**
 * PLAIN_DICTIONARY / RLE_DICTIONARY data pages: a bit width byte, then dictionary ids in the
 * RLE/bit-packed hybrid. Ids are decoded a run at a time into a scratch array, then gathered from
 * the chunk's {@link Dictionary}.
 */
final class DictionaryDecoder implements ValuesDecoder {
  private final Dictionary dict;
  private final RleBitPackedDecoder ids;
  private int[] scratch = new int[1024];

  DictionaryDecoder(PageInput in, Dictionary dict) {
    this.dict = dict;
    in.require(1);
    int bitWidth = in.buf[in.pos++] & 0xff;
    this.ids = new RleBitPackedDecoder(in, bitWidth);
  }

  private int[] readIds(int n) {
    if (scratch.length < n) {
      scratch = new int[Math.max(n, scratch.length * 2)];
    }
    ids.readInts(scratch, 0, n);
    int size = dict.size;
    for (int i = 0; i < n; i++) {
      if (Integer.compareUnsigned(scratch[i], size) >= 0) {
        throw new CorruptPageException(
            "dictionary id " + scratch[i] + " out of range (dictionary has " + size + " values)");
      }
    }
    return scratch;
  }

  @Override
  public void readInts(int[] dst, int off, int n) {
    int[] id = readIds(n);
    int[] values = dict.ints;
    for (int i = 0; i < n; i++) {
      dst[off + i] = values[id[i]];
    }
  }

  @Override
  public void readLongs(long[] dst, int off, int n) {
    int[] id = readIds(n);
    long[] values = dict.longs;
    for (int i = 0; i < n; i++) {
      dst[off + i] = values[id[i]];
    }
  }

  @Override
  public void readFloats(float[] dst, int off, int n) {
    int[] id = readIds(n);
    float[] values = dict.floats;
    for (int i = 0; i < n; i++) {
      dst[off + i] = values[id[i]];
    }
  }

  @Override
  public void readDoubles(double[] dst, int off, int n) {
    int[] id = readIds(n);
    double[] values = dict.doubles;
    for (int i = 0; i < n; i++) {
      dst[off + i] = values[id[i]];
    }
  }

  @Override
  public void readBinaries(BinaryValues dst, int n) {
    int[] id = readIds(n);
    BinaryValues values = dict.binaries;
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      bytes += values.length(id[i]);
    }
    dst.ensureMoreValues(n);
    dst.ensureMoreBytes(bytes);
    int end = dst.offsets[dst.count];
    byte[] out = dst.data;
    for (int i = 0; i < n; i++) {
      int start = values.start(id[i]);
      int len = values.length(id[i]);
      System.arraycopy(values.data, start, out, end, len);
      end += len;
      dst.offsets[dst.count + i + 1] = end;
    }
    dst.count += n;
  }
}
