package dev.trueno.spark.scan.decode;

import java.util.Arrays;

/**
 * Byte-array values staged between a page decoder and an Arrow vector: one contiguous byte array
 * and start offsets, grown by doubling and reused across runs, so decoding a run of strings
 * allocates nothing once warm.
 */
final class BinaryValues {
  byte[] data = new byte[4096];

  /** offsets[i] is where value i starts; offsets[count] is the end of the last one. */
  int[] offsets = new int[257];

  int count;

  void clear() {
    count = 0;
    offsets[0] = 0;
  }

  int totalBytes() {
    return offsets[count];
  }

  int start(int i) {
    return offsets[i];
  }

  int length(int i) {
    return offsets[i + 1] - offsets[i];
  }

  void ensureMoreValues(int n) {
    if (count + n + 1 > offsets.length) {
      offsets = Arrays.copyOf(offsets, Math.max(offsets.length * 2, count + n + 1));
    }
  }

  void ensureMoreBytes(long n) {
    long needed = offsets[count] + n;
    if (needed > Integer.MAX_VALUE - 16) {
      throw new CorruptPageException("more than 2 GiB of byte-array values in one run");
    }
    if (needed > data.length) {
      data =
          Arrays.copyOf(
              data, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(needed, 2L * data.length)));
    }
  }

  void add(byte[] src, int off, int len) {
    ensureMoreValues(1);
    ensureMoreBytes(len);
    int end = offsets[count];
    System.arraycopy(src, off, data, end, len);
    offsets[++count] = end + len;
  }

  /** Appends the values {@code [from, from+n)} of another set. */
  void addRange(BinaryValues src, int from, int n) {
    ensureMoreValues(n);
    int bytesFrom = src.offsets[from];
    int bytes = src.offsets[from + n] - bytesFrom;
    ensureMoreBytes(bytes);
    int end = offsets[count];
    System.arraycopy(src.data, bytesFrom, data, end, bytes);
    int shift = end - bytesFrom;
    for (int i = 1; i <= n; i++) {
      offsets[count + i] = src.offsets[from + i] + shift;
    }
    count += n;
  }
}
