package dev.trueno.simd.vector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-aggregator pool of the primitive arrays that hold intermediate columns, reused from batch to
 * batch instead of allocated per batch. An array handed out stays the caller's until the next
 * {@link #reset}, which the aggregator calls at the start of each batch: columns of one batch share
 * arrays freely (a cast may return its input's array), so nothing is returned early.
 *
 * <p>Arrays are zeroed when handed out (evaluation code relies on fresh-array zeros) and may be
 * longer than asked for; callers use only the first {@code rows} entries.
 */
final class Scratch {
  private final Pool<long[]> longs = new Pool<>();
  private final Pool<double[]> doubles = new Pool<>();
  private final Pool<boolean[]> booleans = new Pool<>();
  private final Pool<int[]> ints = new Pool<>();

  /** Makes every array handed out so far available again. */
  void reset() {
    longs.next = 0;
    doubles.next = 0;
    booleans.next = 0;
    ints.next = 0;
  }

  long[] longs(int n) {
    long[] a = longs.peek();
    if (a == null || a.length < n) {
      a = new long[Math.max(n, 64)];
    } else {
      Arrays.fill(a, 0, n, 0L);
    }
    return longs.use(a);
  }

  /** A bitmap of {@code rows} rows in {@code kernels.Bitmaps} form, all clear. */
  long[] words(int rows) {
    return longs((rows + 63) >>> 6);
  }

  double[] doubles(int n) {
    double[] a = doubles.peek();
    if (a == null || a.length < n) {
      a = new double[Math.max(n, 64)];
    } else {
      Arrays.fill(a, 0, n, 0.0);
    }
    return doubles.use(a);
  }

  boolean[] booleans(int n) {
    boolean[] a = booleans.peek();
    if (a == null || a.length < n) {
      a = new boolean[Math.max(n, 64)];
    } else {
      Arrays.fill(a, 0, n, false);
    }
    return booleans.use(a);
  }

  int[] ints(int n) {
    int[] a = ints.peek();
    if (a == null || a.length < n) {
      a = new int[Math.max(n, 64)];
    } else {
      Arrays.fill(a, 0, n, 0);
    }
    return ints.use(a);
  }

  /** The arrays of one element type, handed out in order; {@code next} is the first free one. */
  private static final class Pool<T> {
    private final List<T> arrays = new ArrayList<>();
    int next;

    T peek() {
      return next < arrays.size() ? arrays.get(next) : null;
    }

    T use(T array) {
      if (next < arrays.size()) {
        arrays.set(next, array);
      } else {
        arrays.add(array);
      }
      next++;
      return array;
    }
  }
}
