package dev.trueno.simd.vector.join;

/**
 * The matches of one probe batch against a {@link JoinHashTable}, handed out in chunks of at most a
 * caller-chosen size, so that a key shared by millions of build rows still yields bounded output
 * batches.
 *
 * <p>Matches come in probe row order, and for one probe row in build order. The key lookup of every
 * probe row happens when the cursor is created; {@link #next} only walks the chains. The helpers
 * {@link #matchedRows} and {@link #unmatchedRows} answer semi and anti joins (and the probe-side
 * part of outer joins) without enumerating matches. A cursor is for one thread.
 */
public final class ProbeCursor {
  private final JoinHashTable table;
  // Per probe row: the slot entry of its key (first build row, more-rows flag, key id), 0 if none.
  private final long[] entries;
  private final boolean outer;
  private final boolean markMatches;
  private int row;
  // The next build row (or index into the table's runs) to emit for `row`, or -1 when `row` has
  // not started; with runs, `runEnd` ends the run of `row`.
  private int pos = -1;
  private int runEnd;
  private int batch;

  ProbeCursor(JoinHashTable table, long[] entries, boolean outer, boolean markMatches) {
    this.table = table;
    this.entries = entries;
    this.outer = outer;
    this.markMatches = markMatches;
  }

  /** The number of rows of the probe batch. */
  public int probeRowCount() {
    return entries.length;
  }

  /** Whether {@link #next} may return more matches. */
  public boolean hasNext() {
    return row < entries.length;
  }

  /**
   * Writes up to {@code max} more matches as (probe row, build batch, build row) into the three
   * arrays from index 0 and returns how many; 0 only when the cursor is exhausted. An outer cursor
   * also writes each probe row without a match once, with build batch and build row -1.
   */
  public int next(int[] probeRows, int[] buildBatches, int[] buildRows, int max) {
    if (max <= 0 || probeRows.length < max || buildBatches.length < max || buildRows.length < max) {
      throw new IllegalArgumentException(
          "max must be positive and at most the length of each output array, got " + max);
    }
    long[] found = entries;
    int rows = found.length;
    int[] nextRow = table.next;
    int[] runs = table.runs;
    int[] starts = table.batchStarts();
    long[] matched = markMatches ? table.matched : null;
    int r = row;
    int p = pos;
    int end = runEnd;
    int b = batch;
    int count = 0;
    while (count < max && r < rows) {
      if (p < 0) {
        long e = found[r];
        if (e == 0) {
          if (outer) {
            probeRows[count] = r;
            buildBatches[count] = -1;
            buildRows[count] = -1;
            count++;
          }
          r++;
          continue;
        }
        int h = JoinHashTable.headRow(e);
        if ((e & JoinHashTable.MULTI) == 0) {
          // The key's only build row: no chain to walk.
          b = table.batchOf(h);
          probeRows[count] = r;
          buildBatches[count] = b;
          buildRows[count] = h - starts[b];
          if (matched != null) {
            matched[h >>> 6] |= 1L << h;
          }
          count++;
          r++;
          continue;
        }
        if (runs != null) {
          p = h + 1;
          end = p + runs[h];
          b = table.batchOf(runs[p]);
        } else {
          p = h;
          b = table.batchOf(p);
        }
      }
      // A key's rows are in build order, so their batch index only moves forward.
      if (runs != null) {
        while (count < max && p < end) {
          int g = runs[p];
          while (g >= starts[b + 1]) {
            b++;
          }
          probeRows[count] = r;
          buildBatches[count] = b;
          buildRows[count] = g - starts[b];
          if (matched != null) {
            matched[g >>> 6] |= 1L << g;
          }
          count++;
          p++;
        }
        if (p == end) {
          p = -1;
          r++;
        }
        continue;
      }
      while (count < max && p >= 0) {
        while (p >= starts[b + 1]) {
          b++;
        }
        probeRows[count] = r;
        buildBatches[count] = b;
        buildRows[count] = p - starts[b];
        if (matched != null) {
          matched[p >>> 6] |= 1L << p;
        }
        count++;
        p = nextRow[p];
      }
      if (p < 0) {
        r++;
      }
    }
    row = r;
    pos = p;
    runEnd = end;
    batch = b;
    return count;
  }

  /**
   * Records every build row some probe row of this batch matches, in the table that tracks matches,
   * visiting each distinct key's rows once (also across batches) instead of once per match: for
   * build-side semi, anti and existence joins without a residual condition.
   */
  public void markAllMatches() {
    table.markKeys(entries);
  }

  /** Whether probe row {@code probeRow} has at least one match. */
  public boolean hasMatch(int probeRow) {
    return entries[probeRow] != 0;
  }

  /**
   * Writes the probe rows with at least one match, in order, into {@code out} (at least the probe
   * row count long) and returns how many: the output rows of a left semi join.
   */
  public int matchedRows(int[] out) {
    int count = 0;
    for (int r = 0; r < entries.length; r++) {
      out[count] = r;
      count += entries[r] != 0 ? 1 : 0;
    }
    return count;
  }

  /**
   * Writes the probe rows without a match (NULL keys included), in order, into {@code out} and
   * returns how many: the output rows of a left anti join, and the NULL-extended rows of an outer
   * join.
   */
  public int unmatchedRows(int[] out) {
    int count = 0;
    for (int r = 0; r < entries.length; r++) {
      out[count] = r;
      count += entries[r] == 0 ? 1 : 0;
    }
    return count;
  }
}
