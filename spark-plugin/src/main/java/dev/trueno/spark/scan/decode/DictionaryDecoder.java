package dev.trueno.spark.scan.decode;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.spark.unsafe.Platform;

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

  // Gathers straight into Arrow buffers: one bounds check of the destination per run (the caller
  // passes an address from a checked range), plain stores after it.

  /** Gathers {@code m} INT32 values to {@code m} consecutive 4-byte slots from {@code address}. */
  void gatherInts(long address, int m) {
    int[] id = decodeIds(m);
    int[] values = dict.ints;
    try {
      for (int i = 0; i < m; i++) {
        Platform.putInt(null, address + 4L * i, values[id[i]]);
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      checkIds(id, m);
      throw e;
    }
  }

  /** Gathers {@code m} INT64 values to {@code m} consecutive 8-byte slots from {@code address}. */
  void gatherLongs(long address, int m) {
    int[] id = decodeIds(m);
    long[] values = dict.longs;
    try {
      for (int i = 0; i < m; i++) {
        Platform.putLong(null, address + 8L * i, values[id[i]]);
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      checkIds(id, m);
      throw e;
    }
  }

  void gatherFloats(long address, int m) {
    int[] id = decodeIds(m);
    float[] values = dict.floats;
    try {
      for (int i = 0; i < m; i++) {
        Platform.putFloat(null, address + 4L * i, values[id[i]]);
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      checkIds(id, m);
      throw e;
    }
  }

  void gatherDoubles(long address, int m) {
    int[] id = decodeIds(m);
    double[] values = dict.doubles;
    try {
      for (int i = 0; i < m; i++) {
        Platform.putDouble(null, address + 8L * i, values[id[i]]);
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      checkIds(id, m);
      throw e;
    }
  }

  /** Gathers {@code m} INT32 or INT64 unscaled values as Arrow 128-bit decimals. */
  void gatherDecimals(long address, int m) {
    int[] id = decodeIds(m);
    int[] intValues = dict.ints;
    long[] longValues = dict.longs;
    try {
      if (longValues != null) {
        for (int i = 0; i < m; i++) {
          long v = longValues[id[i]];
          Platform.putLong(null, address + 16L * i, v);
          Platform.putLong(null, address + 16L * i + 8, v >> 63);
        }
      } else {
        for (int i = 0; i < m; i++) {
          long v = intValues[id[i]];
          Platform.putLong(null, address + 16L * i, v);
          Platform.putLong(null, address + 16L * i + 8, v >> 63);
        }
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      checkIds(id, m);
      throw e;
    }
  }

  /**
   * Gathers the {@code m} non-null values of rows {@code [base, base + k)} straight into the data
   * buffer of a variable-width vector and writes the rows' end offsets in the same loop: one copy
   * per value from the dictionary's contiguous bytes, capacity ensured once per run, no staging
   * copy. Rows whose level in {@code lv} is not {@code maxDef} are null (empty); {@code lv == null}
   * means none is.
   *
   * @return the bytes appended
   */
  long gatherVariableWidth(
      BaseVariableWidthVector vector, int base, int k, int m, int[] lv, int maxDef) {
    int[] id = readIds(m);
    int[] starts = dict.binaries.offsets;
    byte[] src = dict.paddedBytes;
    long bytes = 0;
    for (int i = 0; i < m; i++) {
      bytes += starts[id[i] + 1] - starts[id[i]];
    }
    ArrowBuf offsets = vector.getOffsetBuffer();
    int first = offsets.getInt(4L * base);
    if (first + bytes > Integer.MAX_VALUE) {
      throw new CorruptPageException("more than 2 GiB of values in one Arrow vector");
    }
    long needed = first + bytes + Dictionary.SLACK;
    if (vector.getDataBuffer().capacity() < needed) {
      vector.reallocDataBuffer(needed);
    }
    ArrowBuf data = vector.getDataBuffer();
    if (data.capacity() < needed) {
      throw new IndexOutOfBoundsException(
          "data buffer of " + data.capacity() + " bytes, " + needed + " needed");
    }
    long offsetsAt = 4L * (base + 1);
    if (offsetsAt + 4L * k > offsets.capacity()) {
      throw new IndexOutOfBoundsException(
          "writing offsets ["
              + offsetsAt
              + ", "
              + (offsetsAt + 4L * k)
              + ") of a buffer of "
              + offsets.capacity());
    }
    long offsetAddress = offsets.memoryAddress() + offsetsAt;
    int words = dict.wordBytes;
    long out = data.memoryAddress() + first;
    int pos = 0;
    if (lv == null) {
      for (int i = 0; i < k; i++) {
        int v = id[i];
        int start = starts[v];
        int len = starts[v + 1] - start;
        copy(src, start, out, pos, len, words);
        pos += len;
        Platform.putInt(null, offsetAddress + 4L * i, first + pos);
      }
    } else {
      int j = 0;
      for (int i = 0; i < k; i++) {
        if (lv[i] == maxDef) {
          int v = id[j++];
          int start = starts[v];
          int len = starts[v + 1] - start;
          copy(src, start, out, pos, len, words);
          pos += len;
        }
        Platform.putInt(null, offsetAddress + 4L * i, first + pos);
      }
    }
    return bytes;
  }

  // With a dictionary of short values every value is copied as the same number of whole words
  // (the longest value's, rounded up to 8 bytes), reading and writing past its end into the slack
  // of the dictionary bytes and of the Arrow data buffer (ensured with SLACK bytes to spare; the
  // next value or run overwrites them): a loop of the same trip count for every value, which the
  // branch predictor gets right, where a loop over the value's own length mispredicts on mixed
  // lengths (about 10% of the time of TPC-H's short string columns). Dictionaries with longer
  // values copy each value with one memory copy.
  private static void copy(byte[] src, int start, long dst, int at, int len, int wordBytes) {
    long from = Platform.BYTE_ARRAY_OFFSET + (long) start;
    if (wordBytes >= 0) {
      for (int w = 0; w < wordBytes; w += 8) {
        Platform.putLong(null, dst + at + w, Platform.getLong(src, from + w));
      }
    } else {
      Platform.copyMemory(src, from, null, dst + at, len);
    }
  }
}
