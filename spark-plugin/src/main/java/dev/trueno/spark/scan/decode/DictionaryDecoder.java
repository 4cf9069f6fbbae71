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

  /** Decodes {@code n} ids into the scratch array, unchecked: gathers from arrays check them. */
  private int[] decodeIds(int n) {
    if (scratch.length < n) {
      scratch = new int[Math.max(n, scratch.length * 2)];
    }
    ids.readInts(scratch, 0, n);
    return scratch;
  }

  private int[] readIds(int n) {
    int[] id = decodeIds(n);
    checkIds(id, n);
    return id;
  }

  private void checkIds(int[] id, int n) {
    int size = dict.size;
    for (int i = 0; i < n; i++) {
      if (Integer.compareUnsigned(id[i], size) >= 0) {
        throw new CorruptPageException(
            "dictionary id " + id[i] + " out of range (dictionary has " + size + " values)");
      }
    }
  }

  // The primitive gathers below index arrays of exactly the dictionary's size, so Java's bounds
  // check is the range check; a bad id is reported as such instead of a separate pass per run.

  @Override
  public void readInts(int[] dst, int off, int n) {
    int[] id = decodeIds(n);
    int[] values = dict.ints;
    try {
      for (int i = 0; i < n; i++) {
        dst[off + i] = values[id[i]];
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      checkIds(id, n);
      throw e;
    }
  }

  @Override
  public void readLongs(long[] dst, int off, int n) {
    int[] id = decodeIds(n);
    long[] values = dict.longs;
    try {
      for (int i = 0; i < n; i++) {
        dst[off + i] = values[id[i]];
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      checkIds(id, n);
      throw e;
    }
  }

  @Override
  public void readFloats(float[] dst, int off, int n) {
    int[] id = decodeIds(n);
    float[] values = dict.floats;
    try {
      for (int i = 0; i < n; i++) {
        dst[off + i] = values[id[i]];
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      checkIds(id, n);
      throw e;
    }
  }

  @Override
  public void readDoubles(double[] dst, int off, int n) {
    int[] id = decodeIds(n);
    double[] values = dict.doubles;
    try {
      for (int i = 0; i < n; i++) {
        dst[off + i] = values[id[i]];
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      checkIds(id, n);
      throw e;
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
