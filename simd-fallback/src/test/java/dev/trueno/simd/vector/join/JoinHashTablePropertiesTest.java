package dev.trueno.simd.vector.join;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.simd.vector.join.JoinBatches.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The hash table's matches equal a nested-loop join's, in the same order (probe row, then build
 * order), on seeded random keys of 1 to 4 columns of every supported kind with duplicates, NULLs
 * (plain and null-safe), NaNs of several bit patterns, -0.0 and 0.0, several build batches, empty
 * sides and chunk sizes down to 1. Each try's allocator is closed after it: a leak fails it.
 */
class JoinHashTablePropertiesTest {
  private BufferAllocator allocator;
  private JoinBatches batches;

  @BeforeTry
  void open() {
    allocator = new RootAllocator();
    batches = new JoinBatches(allocator);
  }

  @AfterTry
  void close() {
    batches.close();
    allocator.close();
  }

  @Provide
  Arbitrary<Integer> sizes() {
    return Arbitraries.oneOf(
        Arbitraries.of(0, 1, 63, 64, 65, 130), Arbitraries.integers().between(0, 200));
  }

  @Provide
  Arbitrary<Double> nullRates() {
    return Arbitraries.of(0.0, 0.1, 0.5, 1.0);
  }

  @Property(tries = 300)
  void matchesEqualANestedLoopJoin(
      @ForAll @Size(min = 1, max = 4) List<Kind> kindList,
      @ForAll @Size(value = 4) List<Boolean> nullSafeList,
      @ForAll @Size(max = 3) List<@From("sizes") Integer> buildSizes,
      @ForAll("sizes") int probeSize,
      @ForAll("nullRates") double nullRate,
      @ForAll @IntRange(min = 1, max = 17) int chunk,
      @ForAll long seed) {
    Kind[] kinds = kindList.toArray(new Kind[0]);
    int k = kinds.length;
    boolean[] nullSafe = new boolean[k];
    List<JoinKey> keys = new ArrayList<>();
    for (int c = 0; c < k; c++) {
      nullSafe[c] = nullSafeList.get(c);
      keys.add(new JoinKey(c, nullSafe[c]));
    }
    Random random = new Random(seed);
    List<List<Object[]>> buildRows = new ArrayList<>();
    for (int size : buildSizes) {
      buildRows.add(rows(random, kinds, size, nullRate));
    }
    List<Object[]> probeRows = rows(random, kinds, probeSize, nullRate);
    int[] ordinals = new int[k];
    for (int c = 0; c < k; c++) {
      ordinals[c] = c;
    }

    // Expected: (probe row, build batch, build row) in probe row order, then build order.
    List<String> expectedInner = new ArrayList<>();
    List<String> expectedOuter = new ArrayList<>();
    List<Integer> expectedSemi = new ArrayList<>();
    List<Integer> expectedAnti = new ArrayList<>();
    boolean[][] buildMatched = new boolean[buildRows.size()][];
    for (int b = 0; b < buildRows.size(); b++) {
      buildMatched[b] = new boolean[buildRows.get(b).size()];
    }
    for (int p = 0; p < probeRows.size(); p++) {
      boolean any = false;
      for (int b = 0; b < buildRows.size(); b++) {
        for (int r = 0; r < buildRows.get(b).size(); r++) {
          if (JoinBatches.rowsMatch(probeRows.get(p), buildRows.get(b).get(r), nullSafe)) {
            expectedInner.add(p + ":" + b + ":" + r);
            expectedOuter.add(p + ":" + b + ":" + r);
            buildMatched[b][r] = true;
            any = true;
          }
        }
      }
      if (any) {
        expectedSemi.add(p);
      } else {
        expectedAnti.add(p);
        expectedOuter.add(p + ":-1:-1");
      }
    }
    List<String> expectedUnmatchedBuild = new ArrayList<>();
    for (int b = 0; b < buildRows.size(); b++) {
      for (int r = 0; r < buildMatched[b].length; r++) {
        if (!buildMatched[b][r]) {
          expectedUnmatchedBuild.add(b + ":" + r);
        }
      }
    }

    try (JoinHashTable table = new JoinHashTable(keys, Long.MAX_VALUE, true)) {
      for (List<Object[]> rows : buildRows) {
        table.add(batches.root(kinds, rows));
      }
      VectorSchemaRoot probe = batches.root(kinds, probeRows);

      ProbeCursor inner = table.probe(probe, ordinals);
      assertThat(drain(inner, chunk)).as("seed %d", seed).isEqualTo(expectedInner);

      ProbeCursor outer = table.probe(probe, ordinals, true, false);
      assertThat(drain(outer, chunk)).as("seed %d", seed).isEqualTo(expectedOuter);

      int[] out = new int[probeSize];
      assertThat(ints(out, outer.matchedRows(out))).isEqualTo(expectedSemi);
      assertThat(ints(out, outer.unmatchedRows(out))).isEqualTo(expectedAnti);

      List<String> unmatchedBuild = new ArrayList<>();
      BuildRowCursor cursor = table.unmatchedBuildRows();
      int[] bb = new int[chunk];
      int[] br = new int[chunk];
      for (int n; (n = cursor.next(bb, br, chunk)) > 0; ) {
        for (int i = 0; i < n; i++) {
          unmatchedBuild.add(bb[i] + ":" + br[i]);
        }
      }
      assertThat(unmatchedBuild).as("seed %d", seed).isEqualTo(expectedUnmatchedBuild);
    }
  }

  @Provide
  Arbitrary<Integer> largeSizes() {
    return Arbitraries.oneOf(
        Arbitraries.of(0, 1, 1023, 1024, 1025, 2047, 2049),
        Arbitraries.integers().between(0, 3000));
  }

  @Provide
  Arbitrary<Kind> fixedWidthKinds() {
    return Arbitraries.of(Kind.LONG, Kind.INT, Kind.DOUBLE, Kind.DECIMAL);
  }

  /**
   * Keys with one build row (answered from the slot) mixed with keys of several rows (walked along
   * their chain), over build batches of up to 3000 rows, empty and one-row batches included, so
   * that matches cross the 1024-row blocks of the row -> batch index and the batches' boundaries:
   * the matches are every equal-keyed build row, in build order, with its exact batch and row.
   */
  @Property(tries = 60)
  void singleAndRepeatedKeysAcrossBatchesAndBlocks(
      @ForAll("fixedWidthKinds") Kind kind,
      @ForAll boolean nullSafe,
      @ForAll @Size(min = 1, max = 5) List<@From("largeSizes") Integer> buildSizes,
      @ForAll @IntRange(min = 0, max = 100) int repeatedPercent,
      @ForAll @IntRange(min = 1, max = 3000) int chunk,
      @ForAll long seed) {
    Random random = new Random(seed);
    int total = buildSizes.stream().mapToInt(Integer::intValue).sum();
    // Unique keys 0, 1, 2, ... except that a share of rows repeats one of a few keys.
    int repeatedKeys = 1 + random.nextInt(20);
    List<List<Object[]>> buildRows = new ArrayList<>();
    java.util.Map<Object, List<String>> rowsByKey = new java.util.HashMap<>();
    long unique = repeatedKeys;
    for (int b = 0; b < buildSizes.size(); b++) {
      List<Object[]> rows = new ArrayList<>();
      for (int r = 0; r < buildSizes.get(b); r++) {
        Object key;
        if (random.nextInt(50) == 0) {
          key = null;
        } else {
          long v = random.nextInt(100) < repeatedPercent ? random.nextInt(repeatedKeys) : unique++;
          key = keyValue(kind, v);
        }
        rows.add(new Object[] {key});
        if (key != null || nullSafe) {
          rowsByKey.computeIfAbsent(key, x -> new ArrayList<>()).add(b + ":" + r);
        }
      }
      buildRows.add(rows);
    }
    List<Object[]> probeRows = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    List<String> expectedOuter = new ArrayList<>();
    java.util.Set<String> matchedBuild = new java.util.HashSet<>();
    int probeSize = random.nextInt(2 * total + 2);
    for (int p = 0; p < probeSize; p++) {
      Object key =
          random.nextInt(50) == 0 ? null : keyValue(kind, random.nextInt((int) unique + 5) - 2);
      probeRows.add(new Object[] {key});
      List<String> hits = key != null || nullSafe ? rowsByKey.get(key) : null;
      if (hits == null) {
        expectedOuter.add(p + ":-1:-1");
        continue;
      }
      for (String hit : hits) {
        expected.add(p + ":" + hit);
        expectedOuter.add(p + ":" + hit);
        matchedBuild.add(hit);
      }
    }
    List<String> expectedUnmatched = new ArrayList<>();
    for (int b = 0; b < buildRows.size(); b++) {
      for (int r = 0; r < buildRows.get(b).size(); r++) {
        if (!matchedBuild.contains(b + ":" + r)) {
          expectedUnmatched.add(b + ":" + r);
        }
      }
    }
    Kind[] kinds = {kind};
    List<JoinKey> keys = List.of(new JoinKey(0, nullSafe));
    List<VectorSchemaRoot> build = new ArrayList<>();
    for (List<Object[]> rows : buildRows) {
      build.add(batches.root(kinds, rows));
    }
    VectorSchemaRoot probe = batches.root(kinds, probeRows);
    long built;
    try (JoinHashTable table = new JoinHashTable(keys, Long.MAX_VALUE, true)) {
      build.forEach(table::add);
      built = table.usedBytes();
      checkMatches(table, probe, chunk, seed, expected, expectedOuter, expectedUnmatched);
    }
    // A budget with room for the build but not for the runs: the probes walk the row chains.
    try (JoinHashTable table = new JoinHashTable(keys, built, true)) {
      build.forEach(table::add);
      checkMatches(table, probe, chunk, seed, expected, expectedOuter, expectedUnmatched);
    }
  }

  private static void checkMatches(
      JoinHashTable table,
      VectorSchemaRoot probe,
      int chunk,
      long seed,
      List<String> expected,
      List<String> expectedOuter,
      List<String> expectedUnmatched) {
    int[] ordinals = {0};
    assertThat(drain(table.probe(probe, ordinals, false, false), chunk))
        .as("seed %d", seed)
        .isEqualTo(expected);
    assertThat(drain(table.probe(probe, ordinals, true, false), chunk))
        .as("seed %d", seed)
        .isEqualTo(expectedOuter);
    // Marking key by key records the same build rows as emitting every match.
    table.probe(probe, ordinals, false, false).markAllMatches();
    List<String> unmatched = new ArrayList<>();
    BuildRowCursor cursor = table.unmatchedBuildRows();
    int[] bb = new int[chunk];
    int[] br = new int[chunk];
    for (int n; (n = cursor.next(bb, br, chunk)) > 0; ) {
      for (int i = 0; i < n; i++) {
        unmatched.add(bb[i] + ":" + br[i]);
      }
    }
    assertThat(unmatched).as("seed %d", seed).isEqualTo(expectedUnmatched);
  }

  private static Object keyValue(Kind kind, long v) {
    return switch (kind) {
      case INT -> (int) v;
      case DOUBLE -> (double) v;
      default -> v;
    };
  }

  private static List<Object[]> rows(Random random, Kind[] kinds, int size, double nullRate) {
    List<Object[]> rows = new ArrayList<>();
    for (int r = 0; r < size; r++) {
      Object[] row = new Object[kinds.length];
      for (int c = 0; c < kinds.length; c++) {
        row[c] = JoinBatches.value(random, kinds[c], nullRate);
      }
      rows.add(row);
    }
    return rows;
  }

  private static List<Integer> ints(int[] values, int count) {
    List<Integer> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      list.add(values[i]);
    }
    return list;
  }

  /** All of a cursor's output as "probe:batch:row", checking that no chunk exceeds its bound. */
  static List<String> drain(ProbeCursor cursor, int chunk) {
    int[] p = new int[chunk];
    int[] b = new int[chunk];
    int[] r = new int[chunk];
    List<String> out = new ArrayList<>();
    for (int n; (n = cursor.next(p, b, r, chunk)) > 0; ) {
      assertThat(n).isLessThanOrEqualTo(chunk);
      for (int i = 0; i < n; i++) {
        out.add(p[i] + ":" + b[i] + ":" + r[i]);
      }
    }
    assertThat(cursor.hasNext()).isFalse();
    return out;
  }
}
