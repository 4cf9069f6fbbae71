package dev.trueno.simd.vector.join;

/**
 * The build rows of a {@link JoinHashTable} that were, or were not, recorded as matched, in build
 * order and in chunks of bounded size: the NULL-extended rows of a right or full outer join, and
 * the output of a semi or anti join whose preserved side is the build side.
 */
public final class BuildRowCursor {
  private final JoinHashTable table;
  private final boolean wantMatched;
  private int row;
  private int batch;

  BuildRowCursor(JoinHashTable table, boolean wantMatched) {
    this.table = table;
    this.wantMatched = wantMatched;
  }

  /**
   * Writes up to {@code max} more (build batch, build row) pairs into the arrays from index 0 and
   * returns how many; 0 only when the cursor is exhausted.
   */
  public int next(int[] buildBatches, int[] buildRows, int max) {
    if (max <= 0 || buildBatches.length < max || buildRows.length < max) {
      throw new IllegalArgumentException(
          "max must be positive and at most the length of each output array, got " + max);
    }
    long[] matched = table.matched;
    int[] starts = table.batchStarts();
    int rows = table.buildRowCount();
    int g = row;
    int b = batch;
    int count = 0;
    while (count < max && g < rows) {
      long word = matched[g >>> 6];
      if (!wantMatched) {
        word = ~word;
      }
      // Skip rows below g in this word, then jump straight to the next wanted row.
      word &= -1L << g;
      if (word == 0) {
        g = ((g >>> 6) + 1) << 6;
        continue;
      }
      g = (g & ~63) + Long.numberOfTrailingZeros(word);
      if (g >= rows) {
        break;
      }
      while (g >= starts[b + 1]) {
        b++;
      }
      buildBatches[count] = b;
      buildRows[count] = g - starts[b];
      count++;
      g++;
    }
    row = Math.min(g, rows);
    batch = b;
    return count;
  }
}
