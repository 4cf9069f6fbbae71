package dev.trueno.gpu.agg;

/**
 * Orders groups by their first input row, so that the GPU emits groups in first-seen order like the
 * scalar backend: an LSD radix sort of the group indexes by first row, 16 bits per pass, over only
 * as many bits as the largest first row needs.
 */
final class FirstRowOrder {
  private FirstRowOrder() {}

  /** The indexes of {@code firstRows} (non-negative) in ascending order of their value. */
  static int[] sort(long[] firstRows) {
    int n = firstRows.length;
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    long max = 0;
    for (long r : firstRows) {
      max = Math.max(max, r);
    }
    int[] other = new int[n];
    int[] counts = new int[1 << 16];
    for (int shift = 0; shift < 64 && (max >>> shift) != 0; shift += 16) {
      java.util.Arrays.fill(counts, 0);
      for (int i = 0; i < n; i++) {
        counts[(int) (firstRows[order[i]] >>> shift) & 0xffff]++;
      }
      int sum = 0;
      for (int d = 0; d < counts.length; d++) {
        int c = counts[d];
        counts[d] = sum;
        sum += c;
      }
      for (int i = 0; i < n; i++) {
        int g = order[i];
        other[counts[(int) (firstRows[g] >>> shift) & 0xffff]++] = g;
      }
      int[] t = order;
      order = other;
      other = t;
    }
    return order;
  }
}
