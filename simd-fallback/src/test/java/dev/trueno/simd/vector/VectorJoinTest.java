package dev.trueno.simd.vector;

import dev.trueno.core.backend.Backend;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.JoinContractTest;
import dev.trueno.simd.scalar.ScalarBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.arrow.memory.RootAllocator;

/** The join contract run against the vectorized backend. */
class VectorJoinTest extends JoinContractTest {
  @Override
  protected Backend backend() {
    return new VectorBackend();
  }

  private static final List<Field> BIG_LEFT =
      List.of(
          field("k", DataType.LONG),
          field("a", DataType.LONG),
          field("i", DataType.INT),
          field("s", DataType.STRING));
  private static final List<Field> BIG_RIGHT =
      List.of(
          field("b", DataType.DOUBLE),
          field("k", DataType.LONG),
          field("d", DataType.DATE),
          field("t", DataType.TIMESTAMP));

  /**
   * Batches of up to 2100 rows whose bigint keys are mostly unique (a build key of one row, found
   * without walking a chain) with a share repeated, payload columns with or without NULLs (the
   * gather's NULL-free fast path and its general one), every join type and build side: the rows
   * equal the scalar reference's.
   */
  @Property(tries = 6)
  void largeBatchesOfUniqueAndRepeatedKeysEqualTheScalarReference(
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 60) int repeatedPercent,
      @ForAll boolean payloadNulls,
      @ForAll @IntRange(min = 1, max = 5000) int maxRows) {
    allocator = new RootAllocator(1L << 30);
    try {
      Random random = new Random(seed);
      List<List<Object[]>> l = bigBatches(random, BIG_LEFT, 0, repeatedPercent, payloadNulls);
      List<List<Object[]>> r = bigBatches(random, BIG_RIGHT, 1, repeatedPercent, payloadNulls);
      Backend scalar = new ScalarBackend();
      for (JoinType type : JoinType.values()) {
        for (BuildSide side : BuildSide.values()) {
          JoinPlan p = plan(type, side, BIG_LEFT, BIG_RIGHT, 0, 1);
          assertSameRows(
              run(backend(), p, l, r, maxRows),
              run(scalar, p, l, r, maxRows),
              type + " build " + side + ", seed " + seed + ": ");
        }
      }
    } finally {
      allocator.close();
    }
  }

  private static List<List<Object[]>> bigBatches(
      Random random, List<Field> fields, int key, int repeatedPercent, boolean payloadNulls) {
    List<List<Object[]>> out = new ArrayList<>();
    int[] sizes = {0, 1, 1023, 1024, 1025, 2049};
    long unique = 200;
    for (int b = 1 + random.nextInt(3); b > 0; b--) {
      int size = random.nextBoolean() ? sizes[random.nextInt(sizes.length)] : random.nextInt(2101);
      List<Object[]> rows = rows(random, fields, size, payloadNulls ? 0.1 : 0.0);
      for (Object[] row : rows) {
        long v =
            random.nextInt(100) < repeatedPercent
                ? random.nextInt(200)
                : key == 0 ? unique++ : random.nextInt(6000);
        row[key] = random.nextInt(100) == 0 ? null : v;
      }
      out.add(rows);
    }
    return out;
  }
}
