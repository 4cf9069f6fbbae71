package dev.trueno.simd.vector.join;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.simd.vector.kernels.Hashing;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The build side of an equi-join: a hash table from key tuples to the build rows that carry them,
 * probed batch by batch with a {@link ProbeCursor} that hands out matches in bounded chunks.
 *
 * <p>Build rows are numbered in the order their batches were {@linkplain #add added}; a match is
 * reported as (build batch index, row in that batch). Each distinct key is stored once, in
 * primitive arrays (longs per fixed-width column, one byte arena per string column), and owns a
 * chain of its rows in build order through a {@code next} array, so a key shared by a million rows
 * costs one slot and a million ints, and probing it compares keys once. The first probe lays the
 * chains of keys with several rows out as contiguous runs (when the budget has room), so that
 * probes read a key's rows in order instead of chasing one cache miss per row.
 *
 * <p>The slots hold what a probe needs in one cache line: two longs per slot, the first the key's
 * hash (or, for one non-null-safe fixed-width key column, the key's canonical value itself, so that
 * no per-key array is read at all), the second the key's id, whether it has more than one row and
 * its first row. A probe row whose key has one build row, the common case of primary-key joins, is
 * answered without touching the row chains.
 *
 * <p>Key equality is Spark's join equality: a NULL in a key compared with {@code =} never matches
 * (the row is not inserted, and a probe row with one finds nothing), NULL matches NULL in a key
 * declared {@linkplain JoinKey#nullSafe null-safe}, every NaN is one value and -0.0 equals 0.0,
 * integers compare by value whatever their width, strings by their UTF-8 bytes.
 *
 * <p>Memory is bounded: the table counts its own arrays and the Arrow buffers of the build batches
 * it retains against a byte budget, and fails with {@link ErrorCode#MEMORY_EXHAUSTED} before
 * growing past it, so that the join operator can partition the build side or fall back. The table
 * does not own the build batches: the caller keeps them open while the table is used and closes
 * them after it. Probing without tracking matches only reads the table, so one table may be probed
 * by several threads at once; tracking matches ({@code trackMatches}) is for one thread.
 */
public final class JoinHashTable implements AutoCloseable {
  /** Build rows are numbered by int; leave headroom for array headers. */
  static final int MAX_ROWS = Integer.MAX_VALUE - 16;

  /** In a slot's entry word: the key has more than one build row. */
  static final long MULTI = 0x8000_0000L;

  private static final long KEY_BITS = 0x7fff_ffffL;

  // Rows per block of the row -> batch index: a block's entry is the batch of its first row.
  private static final int BLOCK_SHIFT = 10;

  private final int[] keyOrdinals;
  private final boolean[] nullSafe;
  private final long budgetBytes;
  private final boolean trackMatches;

  private KeyType[] keyTypes;
  private final List<VectorSchemaRoot> batches = new ArrayList<>();
  // batchStart[b] is the number of build rows before batch b; batchStart[batchCount] = rowCount.
  private int[] batchStart = new int[9];
  // blockBatch[g >>> BLOCK_SHIFT] is the batch holding row g & -(1 << BLOCK_SHIFT).
  private int[] blockBatch = new int[0];
  private int rowCount;
  private long batchBytes;

  // Per build row: the next row with the same key (-1 at the end of the chain); dropped when the
  // first probe lays the chains out as runs.
  int[] next = new int[0];

  // From the first probe on (null if no key has several rows, or the budget had no room): each
  // key with several rows has its rows here, contiguous and in build order, after their count; its
  // slot entry holds that count's index instead of its first row. A probe reads a run in order
  // instead of following a chain of dependent cache misses.
  int[] runs;

  // Keys with several rows, and the rows those keys hold, for sizing the runs.
  private int multiKeys;
  private long multiRows;
  private volatile boolean runsLaidOut;
  // Per build row: whether some probe row matched it (only with trackMatches).
  long[] matched;

  // Per distinct key (only with trackMatches): whether its rows were all marked matched already.
  private long[] keyMarked;

  // Per distinct key, dense ids in first-seen order. Without `direct`, the values are kept per key
  // for equality; with it, the slot holds the value and a key needs only its chain's tail.
  private int keyCount;
  private boolean direct;
  private int[] keyTail;
  private long[][] keyValues;
  private byte[][] arena;
  private int[][] arenaOffsets;
  private boolean[][] keyNull;

  // Open addressing, linear probing, at most half full; slot s is slots[2s] (the key's hash, or its
  // value when `direct`) and slots[2s + 1] (0 = empty, else the key's id + 1 in bits 0-30, MULTI,
  // and its first build row in the high 32 bits).
  private long[] slots = new long[32];

  // Written by touchSlots so that its loads are not optimized away.
  private long touched;

  private boolean probing;
  private boolean closed;
  private boolean broken;

  /**
   * An empty table for build batches whose keys are {@code keys}, allowed {@code budgetBytes} of
   * memory for its arrays and the retained batches; with {@code trackMatches} it records which
   * build rows found a match (for right and full outer joins and build-side semi and anti joins).
   */
  public JoinHashTable(List<JoinKey> keys, long budgetBytes, boolean trackMatches) {
    if (keys.isEmpty() || keys.size() > 4) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED,
          "A join hash table takes 1 to 4 key columns, got "
              + keys.size()
              + "; plan this join without Trueno");
    }
    int k = keys.size();
    keyOrdinals = new int[k];
    nullSafe = new boolean[k];
    for (int c = 0; c < k; c++) {
      keyOrdinals[c] = keys.get(c).ordinal();
      nullSafe[c] = keys.get(c).nullSafe();
    }
    this.budgetBytes = budgetBytes;
    this.trackMatches = trackMatches;
    matched = trackMatches ? new long[0] : null;
  }

  /**
   * Adds one build batch, which must stay open as long as this table is used; all batches are added
   * before the first probe.
   *
   * @throws TruenoException {@link ErrorCode#MEMORY_EXHAUSTED} when the build side outgrows the
   *     budget; the table is then unusable and should be closed
   */
  public void add(VectorSchemaRoot batch) {
    checkOpen();
    if (probing) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot add a build batch to a join hash table after probing began");
    }
    try {
      addKeys(batch, KeyBatch.of(batch, keyOrdinals, nullSafe, keyTypes, "build"));
    } catch (TruenoException e) {
      // A half-inserted batch leaves chains that point past the last batch: refuse further use.
      broken = true;
      throw e;
    }
  }

  private void addKeys(VectorSchemaRoot batch, KeyBatch keys) {
    if (keyTypes == null) {
      allocateKeys(keys.types);
    }
    int rows = keys.rows;
    if ((long) rowCount + rows > MAX_ROWS) {
      throw exhausted("the build side has more than " + MAX_ROWS + " rows");
    }
    long bytes = 0;
    for (FieldVector v : batch.getFieldVectors()) {
      bytes += v.getBufferSize();
    }
    int cap = next.length;
    int need = rowCount + rows;
    if (need > cap) {
      // Grow by half in long arithmetic: doubling near 2^31 rows would overflow an int.
      cap = (int) Math.min(MAX_ROWS, Math.max(need, cap + (long) (cap >> 1)));
    }
    long extra = bytes + 4L * (cap - next.length);
    if (trackMatches) {
      extra += 8L * (((cap + 63) >>> 6) - matched.length);
    }
    int blocks = blocksFor(cap);
    extra += 4L * (blocks - blockBatch.length);
    reserve(extra, "a build batch of " + rows + " rows");
    batchBytes += bytes;
    if (cap > next.length) {
      next = Arrays.copyOf(next, cap);
      if (trackMatches) {
        matched = Arrays.copyOf(matched, (cap + 63) >>> 6);
      }
    }
    if (blocks > blockBatch.length) {
      blockBatch = Arrays.copyOf(blockBatch, blocks);
    }
    int base = rowCount;
    touchSlots(keys.hashes, rows);
    long[] m = keys.matchable;
    for (int w = 0; w < m.length; w++) {
      // Only rows without a NULL in an `=` key go in: skip the others 64 at a time.
      for (long bits = m[w]; bits != 0; bits &= bits - 1) {
        int r = (w << 6) + Long.numberOfTrailingZeros(bits);
        insert(keys, r, base + r);
      }
    }
    int b = batches.size();
    batches.add(batch);
    if (b + 1 == batchStart.length) {
      batchStart = Arrays.copyOf(batchStart, batchStart.length * 2);
    }
    rowCount = base + rows;
    batchStart[b + 1] = rowCount;
    // The blocks whose first row is in this batch.
    for (int blk = blocksFor(base); blk < blocksFor(rowCount); blk++) {
      blockBatch[blk] = b;
    }
  }

  /**
   * Reads the slot of every row's hash once before inserting: independent loads whose cache misses
   * overlap, so that the inserts, each of which depends on its slot, find their slots cached.
   */
  private void touchSlots(long[] hashes, int rows) {
    long[] sl = slots;
    int mask = (sl.length >>> 1) - 1;
    long sum = 0;
    for (int r = 0; r < rows; r++) {
      sum += sl[2 * (spread(hashes[r]) & mask) + 1];
    }
    touched = sum;
  }

  /** The number of blocks with a first row below {@code rows}. */
  private static int blocksFor(int rows) {
    return (int) (((long) rows + (1 << BLOCK_SHIFT) - 1) >>> BLOCK_SHIFT);
  }

  /** The number of build batches added. */
  public int batchCount() {
    return batches.size();
  }

  /** Build batch {@code index}, as added. */
  public VectorSchemaRoot batch(int index) {
    return batches.get(index);
  }

  /** The number of build rows added, those with NULL keys included. */
  public int buildRowCount() {
    return rowCount;
  }

  /** The number of distinct keys in the table. */
  public int distinctKeyCount() {
    return keyCount;
  }

  /** The bytes counted against the budget: the table's arrays and the retained batches. */
  public long usedBytes() {
    long bytes = batchBytes + 4L * blockBatch.length + 8L * slots.length;
    if (next != null) {
      bytes += 4L * next.length;
    }
    if (runs != null) {
      bytes += 4L * runs.length;
    }
    if (matched != null) {
      bytes += 8L * matched.length;
    }
    if (keyTail != null) {
      bytes += perKeyBytes() * keyTail.length;
      for (int c = 0; c < keyTypes.length; c++) {
        if (arena[c] != null) {
          bytes += arena[c].length;
        }
      }
    }
    return bytes;
  }

  // The chain's tail, and unless direct per key column the value (or string offset) and NULL flag.
  private long perKeyBytes() {
    long perKey = 4;
    if (direct) {
      return perKey;
    }
    for (int c = 0; c < keyTypes.length; c++) {
      perKey += keyTypes[c].isString() ? 4 : 8;
      if (nullSafe[c]) {
        perKey += 1;
      }
    }
    return perKey;
  }

  /** The memory budget in bytes this table was given. */
  public long budgetBytes() {
    return budgetBytes;
  }

  /**
   * A cursor over the matches of the rows of {@code batch}, whose key columns are {@code
   * keyOrdinals} (in the order of the build keys); matched build rows are recorded when the table
   * tracks matches.
   */
  public ProbeCursor probe(VectorSchemaRoot batch, int[] keyOrdinals) {
    return probe(batch, keyOrdinals, false, trackMatches);
  }

  /**
   * Like {@link #probe(VectorSchemaRoot, int[])}, but the cursor also emits each probe row without
   * a match, once, with build batch and row -1 (for left and full outer joins).
   */
  public ProbeCursor probeOuter(VectorSchemaRoot batch, int[] keyOrdinals) {
    return probe(batch, keyOrdinals, true, trackMatches);
  }

  /**
   * A cursor over the matches of {@code batch}'s rows; {@code outer} also emits unmatched probe
   * rows, {@code markMatches} records emitted matches in the matched-build-rows bitmap (leave it
   * off when a residual join condition decides, and call {@link #markMatched} for the rows that
   * pass it).
   */
  public ProbeCursor probe(
      VectorSchemaRoot batch, int[] keyOrdinals, boolean outer, boolean markMatches) {
    checkOpen();
    if (keyOrdinals.length != this.keyOrdinals.length) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The probe side has "
              + keyOrdinals.length
              + " join keys but the build side has "
              + this.keyOrdinals.length);
    }
    if (markMatches) {
      requireTracking();
    }
    probing = true;
    if (!runsLaidOut) {
      layOutRuns();
    }
    KeyBatch keys = KeyBatch.of(batch, keyOrdinals, nullSafe, keyTypes, "probe");
    long[] entries = new long[keys.rows];
    if (keyCount > 0) {
      long[] m = keys.matchable;
      if (direct) {
        lookupDirect(keys, m, entries);
      } else {
        for (int w = 0; w < m.length; w++) {
          for (long bits = m[w]; bits != 0; bits &= bits - 1) {
            int r = (w << 6) + Long.numberOfTrailingZeros(bits);
            entries[r] = lookup(keys, r);
          }
        }
      }
    }
    return new ProbeCursor(this, entries, outer, markMatches);
  }

  /**
   * Copies the rows of every key with several rows into {@link #runs} and points the keys' slot
   * entries at them, once, before the first probe reads the table; probes of several threads wait
   * for the first. Without room in the budget for the runs the chains stay.
   */
  private synchronized void layOutRuns() {
    if (runsLaidOut) {
      return;
    }
    long size = multiRows + multiKeys;
    if (multiKeys > 0 && size <= MAX_ROWS && usedBytes() + 4L * size <= budgetBytes) {
      int[] out = new int[(int) size];
      int[] chain = next;
      long[] sl = slots;
      int pos = 0;
      for (int i = 1; i < sl.length; i += 2) {
        long e = sl[i];
        if ((e & MULTI) == 0) {
          continue;
        }
        int start = pos++;
        for (int g = headRow(e); g >= 0; g = chain[g]) {
          out[pos++] = g;
        }
        out[start] = pos - start - 1;
        sl[i] = ((long) start << 32) | (e & 0xffff_ffffL);
      }
      runs = out;
      next = null;
    }
    runsLaidOut = true;
  }

  /** The key id of a found slot entry. */
  static int keyId(long entry) {
    return (int) (entry & KEY_BITS) - 1;
  }

  /**
   * The first build row of a found slot entry's key; for a key with several rows (MULTI) after the
   * runs are laid out, the index of its run's count in {@link #runs}.
   */
  static int headRow(long entry) {
    return (int) (entry >>> 32);
  }

  /** Records that build row {@code row} of build batch {@code batch} found a match. */
  public void markMatched(int batch, int row) {
    requireTracking();
    int g = batchStart[batch] + row;
    matched[g >>> 6] |= 1L << g;
  }

  /**
   * Records as matched every build row whose key is found by one of {@code entries} (0 entries are
   * skipped), walking each key's chain once over the table's life: the build-side rows of a semi,
   * anti or existence join without a residual condition, without enumerating every match.
   */
  void markKeys(long[] entries) {
    requireTracking();
    if (keyMarked == null) {
      keyMarked = new long[(keyCount + 63) >>> 6];
    }
    long[] done = keyMarked;
    for (long e : entries) {
      if (e == 0) {
        continue;
      }
      int k = keyId(e);
      if ((done[k >>> 6] & (1L << k)) != 0) {
        continue;
      }
      done[k >>> 6] |= 1L << k;
      int h = headRow(e);
      if ((e & MULTI) == 0) {
        matched[h >>> 6] |= 1L << h;
      } else if (runs != null) {
        for (int i = h + 1, end = h + 1 + runs[h]; i < end; i++) {
          int g = runs[i];
          matched[g >>> 6] |= 1L << g;
        }
      } else {
        for (int g = h; g >= 0; g = next[g]) {
          matched[g >>> 6] |= 1L << g;
        }
      }
    }
  }

  /** Whether build row {@code row} of build batch {@code batch} was recorded as matched. */
  public boolean isMatched(int batch, int row) {
    requireTracking();
    int g = batchStart[batch] + row;
    return (matched[g >>> 6] & (1L << g)) != 0;
  }

  /** A cursor over the build rows no probe row matched, NULL-keyed rows included. */
  public BuildRowCursor unmatchedBuildRows() {
    requireTracking();
    return new BuildRowCursor(this, false);
  }

  /** A cursor over the build rows some probe row matched. */
  public BuildRowCursor matchedBuildRows() {
    requireTracking();
    return new BuildRowCursor(this, true);
  }

  /** Drops the table's arrays and its references to the build batches (which it does not close). */
  @Override
  public void close() {
    closed = true;
    batches.clear();
    next = null;
    runs = null;
    matched = null;
    keyMarked = null;
    blockBatch = null;
    keyTail = null;
    keyValues = null;
    arena = null;
    arenaOffsets = null;
    keyNull = null;
    slots = null;
  }

  int[] batchStarts() {
    return batchStart;
  }

  /**
   * The build batch holding global build row {@code g}: the last batch starting at or before it.
   */
  int batchOf(int g) {
    // The batch of the block's first row, then forward past the batches that end before g (empty
    // batches share their start with the next and are skipped too).
    int b = blockBatch[g >>> BLOCK_SHIFT];
    int[] starts = batchStart;
    while (g >= starts[b + 1]) {
      b++;
    }
    return b;
  }

  private void checkOpen() {
    if (closed) {
      throw new TruenoException(ErrorCode.INTERNAL, "The join hash table is closed");
    }
    if (broken) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The join hash table failed while adding a build batch and cannot be used; close it");
    }
  }

  private void requireTracking() {
    checkOpen();
    if (!trackMatches) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "This join hash table does not track matched build rows: create it with trackMatches");
    }
  }

  private void reserve(long extraBytes, String what) {
    long need = usedBytes() + extraBytes;
    if (need > budgetBytes) {
      throw exhausted(
          "adding "
              + what
              + " needs about "
              + need
              + " bytes ("
              + rowCount
              + " build rows in "
              + batches.size()
              + " batches and "
              + keyCount
              + " distinct keys so far)");
    }
  }

  private TruenoException exhausted(String detail) {
    return new TruenoException(
        ErrorCode.MEMORY_EXHAUSTED,
        "Cannot build the join hash table within its memory budget of "
            + budgetBytes
            + " bytes: "
            + detail
            + "; partition the build side or give the join more memory");
  }

  private void allocateKeys(KeyType[] types) {
    keyTypes = types;
    int k = types.length;
    int cap = 16;
    // One fixed-width key compared with `=`: equal canonical values are equal keys and hash alike
    // (Hashing.hash of the value), so the slot holds the value and no per-key values are kept.
    direct = k == 1 && !nullSafe[0] && !types[0].isString();
    keyTail = new int[cap];
    keyValues = new long[k][];
    arena = new byte[k][];
    arenaOffsets = new int[k][];
    keyNull = new boolean[k][];
    if (direct) {
      return;
    }
    for (int c = 0; c < k; c++) {
      if (types[c].isString()) {
        arena[c] = new byte[256];
        arenaOffsets[c] = new int[cap + 1];
      } else {
        keyValues[c] = new long[cap];
      }
      if (nullSafe[c]) {
        keyNull[c] = new boolean[cap];
      }
    }
  }

  private static int spread(long h) {
    return (int) (h ^ (h >>> 32));
  }

  private void insert(KeyBatch keys, int r, int g) {
    long h = keys.hashes[r];
    long tag = direct ? keys.values[0][r] : h;
    long[] sl = slots;
    int mask = (sl.length >>> 1) - 1;
    int s = spread(h) & mask;
    next[g] = -1;
    while (true) {
      long e = sl[2 * s + 1];
      if (e == 0) {
        int k = newKey(keys, r);
        keyTail[k] = g;
        sl[2 * s] = tag;
        sl[2 * s + 1] = ((long) g << 32) | (k + 1);
        if ((long) keyCount * 4 > sl.length) {
          rehash();
        }
        return;
      }
      if (sl[2 * s] == tag && (direct || equal(keyId(e), keys, r))) {
        // Append, so that a key's rows come out in build order.
        int k = keyId(e);
        next[keyTail[k]] = g;
        keyTail[k] = g;
        if ((e & MULTI) == 0) {
          multiKeys++;
          multiRows += 2;
          sl[2 * s + 1] = e | MULTI;
        } else {
          multiRows++;
        }
        return;
      }
      s = (s + 1) & mask;
    }
  }

  /** The slot entry of the key of row {@code r}, 0 when the table has none. */
  private long lookup(KeyBatch keys, int r) {
    long h = keys.hashes[r];
    long[] sl = slots;
    int mask = (sl.length >>> 1) - 1;
    int s = spread(h) & mask;
    while (true) {
      long e = sl[2 * s + 1];
      if (e == 0) {
        return 0;
      }
      if (sl[2 * s] == h && equal(keyId(e), keys, r)) {
        return e;
      }
      s = (s + 1) & mask;
    }
  }

  /**
   * The slot entries of the matchable rows' keys in a direct table: one cache line per row, and the
   * rows' lookups independent of each other, so that their cache misses overlap.
   */
  private void lookupDirect(KeyBatch keys, long[] matchable, long[] entries) {
    long[] hashes = keys.hashes;
    long[] values = keys.values[0];
    long[] sl = slots;
    int mask = (sl.length >>> 1) - 1;
    for (int w = 0; w < matchable.length; w++) {
      long bits = matchable[w];
      if (bits == -1L) {
        // No NULL among these 64 rows: a plain loop.
        int end = (w << 6) + 64;
        for (int r = w << 6; r < end; r++) {
          entries[r] = findDirect(sl, mask, hashes[r], values[r]);
        }
        continue;
      }
      for (; bits != 0; bits &= bits - 1) {
        int r = (w << 6) + Long.numberOfTrailingZeros(bits);
        entries[r] = findDirect(sl, mask, hashes[r], values[r]);
      }
    }
  }

  private static long findDirect(long[] sl, int mask, long h, long value) {
    int s = spread(h) & mask;
    while (true) {
      long e = sl[2 * s + 1];
      if (e == 0 || sl[2 * s] == value) {
        return e;
      }
      s = (s + 1) & mask;
    }
  }

  private boolean equal(int k, KeyBatch keys, int r) {
    for (int c = 0; c < keyOrdinals.length; c++) {
      if (nullSafe[c]) {
        boolean rowNull = keys.isNull(c, r);
        if (keyNull[c][k] != rowNull) {
          return false;
        }
        if (rowNull) {
          continue;
        }
      }
      if (keyValues[c] != null) {
        if (keyValues[c][k] != keys.values[c][r]) {
          return false;
        }
      } else {
        int[] o = arenaOffsets[c];
        int[] ro = keys.offsets[c];
        if (!Arrays.equals(arena[c], o[k], o[k + 1], keys.bytes[c], ro[r], ro[r + 1])) {
          return false;
        }
      }
    }
    return true;
  }

  private int newKey(KeyBatch keys, int r) {
    int k = keyCount;
    if (k == keyTail.length) {
      growKeys();
    }
    keyCount = k + 1;
    if (direct) {
      return k;
    }
    for (int c = 0; c < keyOrdinals.length; c++) {
      boolean rowNull = keys.isNull(c, r);
      if (nullSafe[c]) {
        keyNull[c][k] = rowNull;
      }
      if (keyValues[c] != null) {
        keyValues[c][k] = rowNull ? 0 : keys.values[c][r];
      } else {
        int[] o = arenaOffsets[c];
        int start = o[k];
        int[] ro = keys.offsets[c];
        int len = rowNull ? 0 : ro[r + 1] - ro[r];
        if ((long) start + len > arena[c].length) {
          growArena(c, (long) start + len);
        }
        System.arraycopy(keys.bytes[c], ro[r], arena[c], start, len);
        o[k + 1] = start + len;
      }
    }
    return k;
  }

  private void growKeys() {
    int cap = keyTail.length;
    int newCap = cap * 2;
    reserve(perKeyBytes() * (newCap - cap), "distinct key " + (keyCount + 1));
    keyTail = Arrays.copyOf(keyTail, newCap);
    if (direct) {
      return;
    }
    for (int c = 0; c < keyOrdinals.length; c++) {
      if (keyValues[c] != null) {
        keyValues[c] = Arrays.copyOf(keyValues[c], newCap);
      } else {
        arenaOffsets[c] = Arrays.copyOf(arenaOffsets[c], newCap + 1);
      }
      if (keyNull[c] != null) {
        keyNull[c] = Arrays.copyOf(keyNull[c], newCap);
      }
    }
  }

  private void growArena(int c, long need) {
    long newLen = Math.max(need, arena[c].length * 2L);
    if (newLen > MAX_ROWS) {
      newLen = need;
    }
    if (newLen > MAX_ROWS) {
      throw exhausted("the distinct string keys of key " + c + " exceed 2 GiB");
    }
    reserve(newLen - arena[c].length, "string key bytes");
    arena[c] = Arrays.copyOf(arena[c], (int) newLen);
  }

  private void rehash() {
    long[] old = slots;
    int newLen = old.length * 2;
    reserve(8L * (newLen - old.length), "hash slots for " + keyCount + " distinct keys");
    long[] sl = new long[newLen];
    int mask = (newLen >>> 1) - 1;
    for (int i = 0; i < old.length; i += 2) {
      long e = old[i + 1];
      if (e == 0) {
        continue;
      }
      long tag = old[i];
      int s = spread(direct ? Hashing.hash(tag) : tag) & mask;
      while (sl[2 * s + 1] != 0) {
        s = (s + 1) & mask;
      }
      sl[2 * s] = tag;
      sl[2 * s + 1] = e;
    }
    slots = sl;
  }
}
