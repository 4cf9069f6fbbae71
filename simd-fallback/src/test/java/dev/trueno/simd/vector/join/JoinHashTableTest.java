package dev.trueno.simd.vector.join;

import static dev.trueno.simd.vector.join.JoinHashTablePropertiesTest.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.simd.vector.join.JoinBatches.Kind;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Examples of the join hash table's contract; each test's allocator is closed after it. */
class JoinHashTableTest {
  private static final int[] FIRST = {0};
  private BufferAllocator allocator;
  private JoinBatches batches;

  @BeforeEach
  void open() {
    allocator = new RootAllocator();
    batches = new JoinBatches(allocator);
  }

  @AfterEach
  void close() {
    batches.close();
    allocator.close();
  }

  private JoinHashTable table(JoinKey key, VectorSchemaRoot... build) {
    JoinHashTable table = new JoinHashTable(List.of(key), Long.MAX_VALUE, true);
    for (VectorSchemaRoot b : build) {
      table.add(b);
    }
    return table;
  }

  @Test
  void skewedKeyComesOutInBoundedChunks() {
    int skew = 100_000;
    Object[] first = new Object[60_000];
    Object[] second = new Object[skew - first.length + 1000];
    for (int i = 0; i < first.length; i++) {
      first[i] = 42L;
    }
    for (int i = 0; i < second.length; i++) {
      second[i] = i < 1000 ? (long) i + 1000 : 42L;
    }
    try (JoinHashTable table =
        table(JoinKey.of(0), batches.column(Kind.LONG, first), batches.column(Kind.LONG, second))) {
      assertThat(table.distinctKeyCount()).isEqualTo(1001);
      ProbeCursor cursor = table.probe(batches.column(Kind.LONG, 42L, 7L, 42L), FIRST);
      int max = 4096;
      int[] p = new int[max];
      int[] b = new int[max];
      int[] r = new int[max];
      long total = 0;
      int chunks = 0;
      int lastProbe = -1;
      long lastBuild = -1;
      for (int n; (n = cursor.next(p, b, r, max)) > 0; chunks++) {
        // Every chunk but the last is full: the cursor stops only at the bound or the end.
        assertThat(n).isLessThanOrEqualTo(max);
        if (cursor.hasNext()) {
          assertThat(n).isEqualTo(max);
        }
        for (int i = 0; i < n; i++) {
          long build = (long) b[i] << 32 | r[i];
          if (p[i] == lastProbe) {
            assertThat(build).isGreaterThan(lastBuild);
          }
          lastProbe = p[i];
          lastBuild = build;
          assertThat(p[i]).isIn(0, 2);
        }
        total += n;
      }
      assertThat(total).isEqualTo(2L * skew);
      assertThat(chunks).isEqualTo((int) ((2L * skew + max - 1) / max));
    }
  }

  @Test
  void nullKeysNeverMatchButNullSafeKeysMatchNullToNull() {
    VectorSchemaRoot build = batches.column(Kind.STRING, null, "a", null);
    VectorSchemaRoot probe = batches.column(Kind.STRING, null, "a");
    try (JoinHashTable plain = table(JoinKey.of(0), build);
        JoinHashTable safe = table(JoinKey.nullSafe(0), build)) {
      assertThat(drain(plain.probe(probe, FIRST), 8)).containsExactly("1:0:1");
      assertThat(drain(safe.probe(probe, FIRST), 8)).containsExactly("0:0:0", "0:0:2", "1:0:1");
      // The NULL-keyed build rows of the plain table are unmatched, as a right outer join needs.
      int[] bb = new int[8];
      int[] br = new int[8];
      assertThat(plain.unmatchedBuildRows().next(bb, br, 8)).isEqualTo(2);
      assertThat(br).startsWith(0, 2);
    }
  }

  @Test
  void everyNaNIsOneKeyAndNegativeZeroEqualsZero() {
    double otherNaN = Double.longBitsToDouble(0x7ff8000000000123L);
    try (JoinHashTable table =
        table(JoinKey.of(0), batches.column(Kind.DOUBLE, Double.NaN, -0.0, 1.0))) {
      ProbeCursor cursor = table.probe(batches.column(Kind.DOUBLE, otherNaN, 0.0, -1.0), FIRST);
      assertThat(drain(cursor, 2)).containsExactly("0:0:0", "1:0:1");
    }
  }

  @Test
  void intProbeKeysMatchLongBuildKeysByValue() {
    try (JoinHashTable table = table(JoinKey.of(0), batches.column(Kind.LONG, 5L, -1L))) {
      ProbeCursor cursor = table.probe(batches.column(Kind.INT, -1, 5, 6), FIRST);
      assertThat(drain(cursor, 3)).containsExactly("0:0:1", "1:0:0");
    }
  }

  @Test
  void emptyBuildSideLeavesEveryProbeRowUnmatched() {
    try (JoinHashTable table = table(JoinKey.of(0))) {
      VectorSchemaRoot probe = batches.column(Kind.LONG, 1L, null);
      assertThat(drain(table.probe(probe, FIRST), 4)).isEmpty();
      assertThat(drain(table.probeOuter(probe, FIRST), 4)).containsExactly("0:-1:-1", "1:-1:-1");
    }
  }

  @Test
  void emptyBatchesOnEitherSideAreSkipped() {
    try (JoinHashTable table =
        table(
            JoinKey.of(0),
            batches.column(Kind.LONG),
            batches.column(Kind.LONG, 3L),
            batches.column(Kind.LONG))) {
      assertThat(drain(table.probe(batches.column(Kind.LONG), FIRST), 4)).isEmpty();
      assertThat(drain(table.probe(batches.column(Kind.LONG, 3L), FIRST), 4))
          .containsExactly("0:1:0");
    }
  }

  @Test
  void multiColumnKeysWithStringsMatchOnEveryColumn() {
    Kind[] kinds = {Kind.STRING, Kind.DECIMAL, Kind.DATE};
    List<Object[]> build = new ArrayList<>();
    build.add(new Object[] {"abcdefghij", 150L, 19000});
    build.add(new Object[] {"abcdefghij", 150L, 19001});
    build.add(new Object[] {"abcdefghiJ", 150L, 19000});
    build.add(new Object[] {"abcdefghij", 150L, 19000});
    List<Object[]> probe = new ArrayList<>();
    probe.add(new Object[] {"abcdefghij", 150L, 19000});
    probe.add(new Object[] {"abcdefghij", 151L, 19000});
    List<JoinKey> keys = List.of(JoinKey.of(0), JoinKey.of(1), JoinKey.of(2));
    try (JoinHashTable table = new JoinHashTable(keys, Long.MAX_VALUE, false)) {
      table.add(batches.root(kinds, build));
      assertThat(table.distinctKeyCount()).isEqualTo(3);
      ProbeCursor cursor = table.probe(batches.root(kinds, probe), new int[] {0, 1, 2});
      assertThat(drain(cursor, 1)).containsExactly("0:0:0", "0:0:3");
      int[] rows = new int[2];
      assertThat(cursor.matchedRows(rows)).isEqualTo(1);
      assertThat(cursor.unmatchedRows(rows)).isEqualTo(1);
      assertThat(rows[0]).isEqualTo(1);
    }
  }

  @Test
  void buildSideOverTheBudgetFailsNamingTheBudget() {
    Object[] values = new Object[10_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = (long) i;
    }
    VectorSchemaRoot build = batches.column(Kind.LONG, values);
    try (JoinHashTable table = new JoinHashTable(List.of(JoinKey.of(0)), 50_000, false)) {
      assertThatThrownBy(() -> table.add(build))
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining("memory budget of 50000 bytes")
          .hasMessageContaining("partition the build side")
          .extracting(e -> ((TruenoException) e).code())
          .isEqualTo(ErrorCode.MEMORY_EXHAUSTED);
      assertThatThrownBy(() -> table.probe(build, FIRST))
          .hasMessageContaining("cannot be used; close it");
    }
  }

  @Test
  void distinctKeysOverTheBudgetFailWhileInserting() {
    Object[] values = new Object[10_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = (long) i;
    }
    VectorSchemaRoot build = batches.column(Kind.LONG, values);
    // Enough for the batch and the row links, not for 10,000 distinct keys.
    long budget = build.getVector(0).getBufferSize() + 4L * values.length + 64L * 1024;
    try (JoinHashTable table = new JoinHashTable(List.of(JoinKey.of(0)), budget, false)) {
      assertThatThrownBy(() -> table.add(build))
          .hasMessageContaining("memory budget of " + budget + " bytes")
          .hasMessageContaining("distinct key");
    }
  }

  @Test
  void unsupportedKeyTypeIsReportedAsUnsupported() {
    try (Float4Vector floats = new Float4Vector("f", allocator);
        JoinHashTable table = new JoinHashTable(List.of(JoinKey.of(0)), Long.MAX_VALUE, false)) {
      floats.allocateNew(1);
      floats.set(0, 1f);
      floats.setValueCount(1);
      VectorSchemaRoot root = VectorSchemaRoot.of(floats);
      assertThatThrownBy(() -> table.add(root))
          .hasMessageContaining("Cannot use build column 0")
          .hasMessageContaining("as a hash-join key")
          .extracting(e -> ((TruenoException) e).code())
          .isEqualTo(ErrorCode.UNSUPPORTED);
    }
  }

  @Test
  void probeKeysOfAnotherTypeAreRejected() {
    try (JoinHashTable table = table(JoinKey.of(0), batches.column(Kind.LONG, 1L))) {
      VectorSchemaRoot probe = batches.column(Kind.STRING, "1");
      assertThatThrownBy(() -> table.probe(probe, FIRST))
          .hasMessageContaining("Join key 0 has type")
          .hasMessageContaining("must cast both keys to one type");
    }
  }

  @Test
  void matchesMarkedByHandAreTheOnlyMatchedBuildRows() {
    try (JoinHashTable table = table(JoinKey.of(0), batches.column(Kind.LONG, 1L, 1L, 2L))) {
      ProbeCursor cursor =
          table.probe(batches.column(Kind.LONG, 1L), FIRST, /* outer= */ false, false);
      assertThat(drain(cursor, 4)).hasSize(2);
      assertThat(table.isMatched(0, 0)).isFalse();
      table.markMatched(0, 1);
      int[] bb = new int[4];
      int[] br = new int[4];
      assertThat(table.matchedBuildRows().next(bb, br, 4)).isEqualTo(1);
      assertThat(br[0]).isEqualTo(1);
    }
  }

  @Test
  void tableWithoutTrackingRefusesMatchedBuildRows() {
    try (JoinHashTable table = new JoinHashTable(List.of(JoinKey.of(0)), Long.MAX_VALUE, false)) {
      assertThatThrownBy(table::unmatchedBuildRows)
          .hasMessageContaining("does not track matched build rows");
    }
  }
}
