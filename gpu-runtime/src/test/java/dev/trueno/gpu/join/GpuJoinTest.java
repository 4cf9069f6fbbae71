package dev.trueno.gpu.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.Arithmetic;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.gpu.GpuTests;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.simd.TestBatches;
import dev.trueno.simd.scalar.ScalarBackend;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GPU hash joins against a nested-loop reference written here and, where it runs the plan, the
 * scalar backend: every join type, both build sides, duplicate and NULL keys, conditions, empty
 * sides, a key with a million build rows under a small maxRows, and the build budget. Outputs are
 * compared as multisets (floats by their bits).
 */
@Tag("gpu")
class GpuJoinTest {
  private static final DataType DEC10 = DataType.decimal(10, 2);

  private BufferAllocator allocator;
  private DeviceMemoryPool pool;
  private GpuBackend gpu;

  @BeforeEach
  void open() {
    allocator = new RootAllocator(8L << 30);
    pool = DeviceMemoryPool.create(GpuTests.deviceOrSkip(), "join-test", 4L << 30);
    gpu = new GpuBackend(pool);
  }

  @AfterEach
  void close() {
    if (pool != null) {
      pool.close(); // fails the test on a device memory leak
    }
    allocator.close();
  }

  static Stream<Arguments> typesAndSides() {
    List<Arguments> out = new ArrayList<>();
    for (JoinType t : JoinType.values()) {
      for (BuildSide s : BuildSide.values()) {
        out.add(Arguments.of(t, s));
      }
    }
    return out.stream();
  }

  private static Field field(String name, DataType type) {
    return new Field(name, type, true);
  }

  private static final List<Field> LEFT =
      List.of(
          field("lk", DataType.LONG),
          field("a", DataType.INT),
          field("d", DataType.DOUBLE),
          field("dec", DEC10),
          field("b", DataType.BOOLEAN),
          field("day", DataType.DATE));
  private static final List<Field> RIGHT =
      List.of(
          field("rk", DataType.LONG),
          field("x", DataType.LONG),
          field("f", DataType.FLOAT),
          field("ts", DataType.TIMESTAMP),
          field("s", DataType.SHORT),
          field("t", DataType.BYTE));

  private static Object value(Random r, DataType type) {
    return switch (type.kind()) {
      case BOOLEAN -> r.nextBoolean();
      case BYTE -> (long) (byte) r.nextInt();
      case SHORT -> (long) (short) r.nextInt();
      case INT, DATE -> (long) r.nextInt(1000) - 500;
      case LONG, TIMESTAMP -> r.nextLong();
      case FLOAT -> (double) (float) r.nextGaussian();
      case DOUBLE -> r.nextGaussian();
      case DECIMAL -> BigDecimal.valueOf(r.nextInt(1_000_000) - 500_000, 2);
      default -> throw new IllegalArgumentException(type.toString());
    };
  }

  /** Rows with keys in [0, keyRange) in column 0 (NULL at nullRate), other columns random. */
  private static List<Object[]> rows(
      Random r, List<Field> fields, int n, int keyRange, double nulls) {
    List<Object[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Object[] row = new Object[fields.size()];
      row[0] = r.nextDouble() < nulls ? null : (long) r.nextInt(keyRange);
      for (int c = 1; c < row.length; c++) {
        row[c] = r.nextDouble() < nulls ? null : value(r, fields.get(c).type());
      }
      out.add(row);
    }
    return out;
  }

  private static List<List<Object[]>> split(List<Object[]> rows, int batchRows) {
    List<List<Object[]>> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i += batchRows) {
      out.add(rows.subList(i, Math.min(rows.size(), i + batchRows)));
    }
    return out;
  }

  private static JoinPlan plan(JoinType type, BuildSide side, Expr condition) {
    return new JoinPlan(
        type,
        side,
        LEFT,
        RIGHT,
        List.of(new ColumnRef(0, DataType.LONG, "lk")),
        List.of(new ColumnRef(0, DataType.LONG, "rk")),
        condition);
  }

  // ---- running ----

  private List<List<Object>> run(
      Backend backend,
      JoinPlan plan,
      List<List<Object[]>> left,
      List<List<Object[]>> right,
      int maxRows) {
    assertThat(backend.unsupportedReason(plan)).isNull();
    boolean buildLeft = plan.buildSide() == BuildSide.LEFT;
    List<List<Object>> out = new ArrayList<>();
    try (JoinBuild build = backend.createJoinBuild(plan, allocator, Long.MAX_VALUE)) {
      for (List<Object[]> rows : buildLeft ? left : right) {
        try (VectorSchemaRoot batch = TestBatches.batch(allocator, plan.buildFields(), rows)) {
          build.add(batch);
        }
      }
      build.finish();
      out.addAll(probeAll(backend, plan, build, buildLeft ? right : left, maxRows));
    }
    return out;
  }

  private List<List<Object>> probeAll(
      Backend backend, JoinPlan plan, JoinBuild build, List<List<Object[]>> batches, int maxRows) {
    List<List<Object>> out = new ArrayList<>();
    try (JoinProbe probe = backend.createJoinProbe(plan, build, allocator)) {
      for (List<Object[]> rows : batches) {
        try (VectorSchemaRoot batch = TestBatches.batch(allocator, plan.probeFields(), rows)) {
          probe.probe(batch);
          for (VectorSchemaRoot r = probe.next(maxRows); r != null; r = probe.next(maxRows)) {
            drain(plan, r, maxRows, out);
          }
        }
      }
      for (VectorSchemaRoot r = probe.finish(maxRows); r != null; r = probe.finish(maxRows)) {
        drain(plan, r, maxRows, out);
      }
    }
    return out;
  }

  private static void drain(
      JoinPlan plan, VectorSchemaRoot r, int maxRows, List<List<Object>> out) {
    try (r) {
      assertThat(r.getSchema()).isEqualTo(ArrowSchemas.arrowSchema(plan.output()));
      assertThat(r.getRowCount()).isBetween(1, maxRows);
      out.addAll(TestBatches.rows(r));
    }
  }

  // ---- the reference ----

  /**
   * Spark's join by nested loops; keys in column 0 of each side, {@code cond} over left ++ right.
   */
  private static List<List<Object>> nestedLoop(
      JoinPlan plan,
      List<List<Object[]>> leftBatches,
      List<List<Object[]>> rightBatches,
      Function<Object[], Boolean> cond) {
    List<Object[]> left = leftBatches.stream().flatMap(List::stream).toList();
    List<Object[]> right = rightBatches.stream().flatMap(List::stream).toList();
    JoinType type = plan.type();
    boolean[] rightMatched = new boolean[right.size()];
    List<List<Object>> out = new ArrayList<>();
    for (Object[] l : left) {
      boolean matched = false;
      for (int j = 0; j < right.size(); j++) {
        Object[] r = right.get(j);
        if (l[0] == null || !Objects.equals(l[0], r[0])) {
          continue;
        }
        Object[] joined = concat(l, r);
        if (cond != null && !Boolean.TRUE.equals(cond.apply(joined))) {
          continue;
        }
        matched = true;
        rightMatched[j] = true;
        if (type.outputsRight()) {
          out.add(asList(joined));
        }
      }
      switch (type) {
        case LEFT_OUTER, FULL_OUTER -> {
          if (!matched) {
            out.add(asList(concat(l, new Object[RIGHT.size()])));
          }
        }
        case LEFT_SEMI -> {
          if (matched) {
            out.add(asList(l));
          }
        }
        case LEFT_ANTI -> {
          if (!matched) {
            out.add(asList(l));
          }
        }
        case EXISTENCE -> out.add(asList(concat(l, new Object[] {matched})));
        default -> {}
      }
    }
    if (type.keepsUnmatchedRight()) {
      for (int j = 0; j < right.size(); j++) {
        if (!rightMatched[j]) {
          out.add(asList(concat(new Object[LEFT.size()], right.get(j))));
        }
      }
    }
    return out;
  }

  private static Object[] concat(Object[] a, Object[] b) {
    Object[] out = new Object[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static List<Object> asList(Object[] row) {
    return java.util.Arrays.asList(row.clone());
  }

  private static Map<List<Object>, Integer> multiset(List<List<Object>> rows) {
    Map<List<Object>, Integer> m = new HashMap<>();
    for (List<Object> r : rows) {
      m.merge(r, 1, Integer::sum);
    }
    return m;
  }

  private void check(
      JoinPlan plan,
      List<List<Object[]>> left,
      List<List<Object[]>> right,
      int maxRows,
      Function<Object[], Boolean> cond) {
    List<List<Object>> actual = run(gpu, plan, left, right, maxRows);
    List<List<Object>> expected = nestedLoop(plan, left, right, cond);
    assertThat(actual).hasSameSizeAs(expected);
    assertThat(multiset(actual)).isEqualTo(multiset(expected));
    Backend scalar = new ScalarBackend();
    if (scalar.unsupportedReason(plan) == null) {
      assertThat(multiset(actual)).isEqualTo(multiset(run(scalar, plan, left, right, maxRows)));
    }
  }

  // ---- tests ----

  @ParameterizedTest
  @MethodSource("typesAndSides")
  void duplicateAndNullKeysJoinLikeTheReference(JoinType type, BuildSide side) {
    Random r = new Random(42 + type.ordinal() * 7 + side.ordinal());
    List<List<Object[]>> left = split(rows(r, LEFT, 700, 60, 0.1), 150);
    List<List<Object[]>> right = split(rows(r, RIGHT, 500, 80, 0.1), 120);
    check(plan(type, side, null), left, right, 37, null);
  }

  @ParameterizedTest
  @MethodSource("typesAndSides")
  void conditionIsEvaluatedOnTheDevice(JoinType type, BuildSide side) {
    Random r = new Random(7 + type.ordinal() * 7 + side.ordinal());
    List<List<Object[]>> left = split(rows(r, LEFT, 600, 40, 0.1), 200);
    List<List<Object[]>> right = split(rows(r, RIGHT, 400, 40, 0.1), 100);
    // a < s: NULL when either is NULL (no match)
    Expr cond =
        new Comparison(
            ComparisonOp.LESS_THAN,
            new ColumnRef(1, DataType.INT, "a"),
            new Arithmetic(
                ArithmeticOp.ADD,
                new dev.trueno.core.expr.Cast(
                    new ColumnRef(LEFT.size() + 4, DataType.SHORT, "s"), DataType.INT, false),
                new Literal(3, DataType.INT),
                DataType.INT,
                false));
    JoinPlan plan = plan(type, side, cond);
    assertThat(gpu.unsupportedReason(plan)).isNull();
    check(
        plan,
        left,
        right,
        64,
        row -> {
          Long a = (Long) row[1];
          Long s = (Long) row[LEFT.size() + 4];
          return a == null || s == null ? null : a < (int) (long) s + 3;
        });
  }

  /**
   * Morsels of a few dozen rows: the build appends many morsels at unaligned rows (bit-packed
   * validity and booleans across morsel boundaries) and each probe batch spans several morsels.
   */
  @ParameterizedTest
  @MethodSource("typesAndSides")
  void smallMorselsOnBothSidesJoinLikeTheReference(JoinType type, BuildSide side) {
    Random r = new Random(99 + type.ordinal() * 7 + side.ordinal());
    List<List<Object[]>> left = split(rows(r, LEFT, 700, 50, 0.1), 150);
    List<List<Object[]>> right = split(rows(r, RIGHT, 500, 50, 0.1), 130);
    GpuBackend small = new GpuBackend(pool, GpuSettings.DEFAULTS.withMorselBytes(3000));
    Expr cond =
        new Comparison(
            ComparisonOp.GREATER_THAN_OR_EQUAL,
            new dev.trueno.core.expr.Cast(
                new ColumnRef(LEFT.size() + 4, DataType.SHORT, "s"), DataType.INT, false),
            new ColumnRef(1, DataType.INT, "a"));
    for (Expr condition : java.util.Arrays.asList(null, cond)) {
      JoinPlan plan = plan(type, side, condition);
      List<List<Object>> actual = run(small, plan, left, right, 29);
      List<List<Object>> expected =
          nestedLoop(
              plan,
              left,
              right,
              condition == null
                  ? null
                  : row -> {
                    Long sv = (Long) row[LEFT.size() + 4];
                    Long a = (Long) row[1];
                    return sv == null || a == null ? null : sv >= a;
                  });
      assertThat(actual).hasSameSizeAs(expected);
      assertThat(multiset(actual)).isEqualTo(multiset(expected));
      assertThat(multiset(actual))
          .isEqualTo(multiset(run(new ScalarBackend(), plan, left, right, 29)));
    }
  }

  @Test
  void buildThatTracksMatchesHasOnlyOneProbe() {
    JoinPlan plan = plan(JoinType.LEFT_OUTER, BuildSide.LEFT, null);
    try (JoinBuild build = gpu.createJoinBuild(plan, allocator, Long.MAX_VALUE)) {
      build.finish();
      try (JoinProbe first = gpu.createJoinProbe(plan, build, allocator)) {
        assertThatThrownBy(() -> gpu.createJoinProbe(plan, build, allocator).close())
            .isInstanceOf(TruenoException.class)
            .hasMessageContaining("can have only one probe");
        assertThat(first.finish(10)).isNull();
      }
    }
  }

  @Test
  void buildBeyondTheDevicePoolFailsWithMemoryExhausted() {
    Random r = new Random(2);
    JoinPlan plan = plan(JoinType.INNER, BuildSide.RIGHT, null);
    try (DeviceMemoryPool tiny = DeviceMemoryPool.create(GpuTests.deviceOrSkip(), "tiny", 1 << 20);
        JoinBuild build = new GpuBackend(tiny).createJoinBuild(plan, allocator, Long.MAX_VALUE);
        VectorSchemaRoot batch =
            TestBatches.batch(allocator, RIGHT, rows(r, RIGHT, 50_000, 10, 0))) {
      assertThatThrownBy(() -> build.add(batch))
          .isInstanceOfSatisfying(
              TruenoException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED))
          .hasMessageContaining("GPU memory pool 'tiny' has only");
    }
  }

  @ParameterizedTest
  @MethodSource("typesAndSides")
  void emptyBuildOrProbeSide(JoinType type, BuildSide side) {
    Random r = new Random(3);
    List<List<Object[]>> some = split(rows(r, LEFT, 50, 10, 0.2), 20);
    List<List<Object[]>> someRight = split(rows(r, RIGHT, 50, 10, 0.2), 20);
    check(plan(type, side, null), some, List.of(), 16, null);
    check(plan(type, side, null), List.of(), someRight, 16, null);
    check(plan(type, side, null), List.of(List.of()), List.of(List.of()), 16, null);
  }

  @ParameterizedTest
  @MethodSource("typesAndSides")
  void allNullKeysMatchNothing(JoinType type, BuildSide side) {
    Random r = new Random(5);
    List<Object[]> left = rows(r, LEFT, 40, 5, 0);
    List<Object[]> right = rows(r, RIGHT, 40, 5, 0);
    left.forEach(row -> row[0] = null);
    right.forEach(row -> row[0] = null);
    check(plan(type, side, null), List.of(left), List.of(right), 8, null);
  }

  @Test
  void nanMatchesNanAndNegativeZeroMatchesZero() {
    List<Field> l = List.of(field("k", DataType.DOUBLE), field("i", DataType.INT));
    List<Field> rr = List.of(field("k", DataType.DOUBLE), field("j", DataType.INT));
    JoinPlan plan =
        new JoinPlan(
            JoinType.INNER,
            BuildSide.RIGHT,
            l,
            rr,
            List.of(new ColumnRef(0, DataType.DOUBLE, "k")),
            List.of(new ColumnRef(0, DataType.DOUBLE, "k")),
            null);
    List<Object[]> left =
        List.of(
            new Object[] {Double.NaN, 1L},
            new Object[] {-0.0, 2L},
            new Object[] {1.5, 3L},
            new Object[] {null, 4L});
    List<Object[]> right =
        List.of(
            new Object[] {Double.longBitsToDouble(0x7ff8000000000123L), 10L},
            new Object[] {0.0, 20L},
            new Object[] {1.5, 30L},
            new Object[] {null, 40L});
    List<List<Object>> out = run(gpu, plan, List.of(left), List.of(right), 10);
    assertThat(out.stream().map(row -> List.of(row.get(1), row.get(3))).toList())
        .containsExactlyInAnyOrder(List.of(1L, 10L), List.of(2L, 20L), List.of(3L, 30L));
  }

  @ParameterizedTest
  @MethodSource("typesAndSides")
  void twoKeysOfDifferentWidthsMustBothBeEqual(JoinType type, BuildSide side) {
    List<Field> l =
        List.of(field("k1", DataType.INT), field("k2", DataType.DATE), field("v", DataType.LONG));
    List<Field> rr =
        List.of(field("k1", DataType.INT), field("k2", DataType.DATE), field("w", DataType.LONG));
    JoinPlan plan =
        new JoinPlan(
            type,
            side,
            l,
            rr,
            List.of(new ColumnRef(0, DataType.INT, "k1"), new ColumnRef(1, DataType.DATE, "k2")),
            List.of(new ColumnRef(0, DataType.INT, "k1"), new ColumnRef(1, DataType.DATE, "k2")),
            null);
    Random r = new Random(11);
    List<Object[]> left = new ArrayList<>();
    List<Object[]> right = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      left.add(
          new Object[] {
            (long) r.nextInt(5), r.nextInt(10) == 0 ? null : (long) r.nextInt(4), (long) i
          });
      right.add(new Object[] {(long) r.nextInt(5), (long) r.nextInt(4), (long) -i});
    }
    List<List<Object>> actual = run(gpu, plan, List.of(left), List.of(right), 50);
    // Reference: the two keys folded into one key column.
    List<Object[]> l1 =
        left.stream().map(row -> new Object[] {fold(row), row[0], row[1], row[2]}).toList();
    List<Object[]> r1 =
        right.stream().map(row -> new Object[] {fold(row), row[0], row[1], row[2]}).toList();
    List<List<Object>> expected = new ArrayList<>();
    for (List<Object> row : nestedLoopGeneric(type, List.of(l1), List.of(r1), 4)) {
      List<Object> out = new ArrayList<>();
      for (int c = 0; c < row.size(); c++) {
        if (c != 0 && !(c == 4 && row.size() > 5)) {
          out.add(row.get(c));
        }
      }
      expected.add(out);
    }
    assertThat(multiset(actual)).isEqualTo(multiset(expected));
  }

  private static Object fold(Object[] row) {
    return row[0] == null || row[1] == null ? null : (Long) row[0] * 100 + (Long) row[1];
  }

  /** The nested loop over sides of {@code width} columns each, key in column 0. */
  private static List<List<Object>> nestedLoopGeneric(
      JoinType type, List<List<Object[]>> left, List<List<Object[]>> right, int width) {
    List<Field> f = new ArrayList<>();
    for (int i = 0; i < width; i++) {
      f.add(field("c" + i, DataType.LONG));
    }
    JoinPlan p =
        new JoinPlan(
            type,
            BuildSide.RIGHT,
            f,
            f,
            List.of(new ColumnRef(0, DataType.LONG, "c0")),
            List.of(new ColumnRef(0, DataType.LONG, "c0")),
            null);
    List<List<Object>> out = new ArrayList<>();
    for (List<Object> row : nestedLoopWidth(p, left, right, width)) {
      out.add(row);
    }
    return out;
  }

  private static List<List<Object>> nestedLoopWidth(
      JoinPlan plan,
      List<List<Object[]>> leftBatches,
      List<List<Object[]>> rightBatches,
      int width) {
    List<Object[]> left = leftBatches.stream().flatMap(List::stream).toList();
    List<Object[]> right = rightBatches.stream().flatMap(List::stream).toList();
    JoinType type = plan.type();
    boolean[] rightMatched = new boolean[right.size()];
    List<List<Object>> out = new ArrayList<>();
    for (Object[] l : left) {
      boolean matched = false;
      for (int j = 0; j < right.size(); j++) {
        Object[] r = right.get(j);
        if (l[0] == null || !Objects.equals(l[0], r[0])) {
          continue;
        }
        matched = true;
        rightMatched[j] = true;
        if (type.outputsRight()) {
          out.add(asList(concat(l, r)));
        }
      }
      switch (type) {
        case LEFT_OUTER, FULL_OUTER -> {
          if (!matched) {
            out.add(asList(concat(l, new Object[width])));
          }
        }
        case LEFT_SEMI -> {
          if (matched) {
            out.add(asList(l));
          }
        }
        case LEFT_ANTI -> {
          if (!matched) {
            out.add(asList(l));
          }
        }
        case EXISTENCE -> out.add(asList(concat(l, new Object[] {matched})));
        default -> {}
      }
    }
    if (type.keepsUnmatchedRight()) {
      for (int j = 0; j < right.size(); j++) {
        if (!rightMatched[j]) {
          out.add(asList(concat(new Object[width], right.get(j))));
        }
      }
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("typesAndSides")
  void stringColumnsAreGatheredOnTheHost(JoinType type, BuildSide side) {
    List<Field> f =
        List.of(field("k", DataType.LONG), field("s", DataType.STRING), field("v", DataType.INT));
    JoinPlan plan =
        new JoinPlan(
            type,
            side,
            f,
            f,
            List.of(new ColumnRef(0, DataType.LONG, "k")),
            List.of(new ColumnRef(0, DataType.LONG, "k")),
            null);
    assertThat(gpu.unsupportedReason(plan)).isNull();
    Random r = new Random(17 + type.ordinal() * 3 + side.ordinal());
    List<List<Object[]>> sides = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      List<Object[]> rows = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        rows.add(
            new Object[] {
              r.nextInt(12) == 0 ? null : (long) r.nextInt(50),
              r.nextInt(8) == 0 ? null : "row-" + t + "-" + i + "-é".repeat(r.nextInt(4)),
              (long) i
            });
      }
      sides.add(rows);
    }
    List<List<Object[]>> left = split(sides.get(0), 90);
    List<List<Object[]>> right = split(sides.get(1), 70);
    List<List<Object>> expected = nestedLoopWidth(plan, left, right, 3);
    // Default morsels, then morsels of a few dozen rows (probe batches spanning several).
    for (GpuBackend backend :
        List.of(gpu, new GpuBackend(pool, GpuSettings.DEFAULTS.withMorselBytes(700)))) {
      List<List<Object>> actual = run(backend, plan, left, right, 33);
      assertThat(actual).hasSameSizeAs(expected);
      assertThat(multiset(actual)).isEqualTo(multiset(expected));
    }
  }

  static Stream<Arguments> skewCases() {
    return Stream.of(
        Arguments.of(JoinType.INNER, BuildSide.RIGHT),
        Arguments.of(JoinType.INNER, BuildSide.LEFT),
        Arguments.of(JoinType.LEFT_OUTER, BuildSide.RIGHT),
        Arguments.of(JoinType.FULL_OUTER, BuildSide.LEFT),
        Arguments.of(JoinType.LEFT_SEMI, BuildSide.LEFT),
        Arguments.of(JoinType.LEFT_ANTI, BuildSide.RIGHT));
  }

  /** One key with a million build rows, probed by three rows, comes out in batches of maxRows. */
  @ParameterizedTest
  @MethodSource("skewCases")
  void millionMatchesOfOneKeyComeOutInBatchesOfMaxRows(JoinType type, BuildSide side) {
    List<Field> f = List.of(field("k", DataType.LONG), field("v", DataType.LONG));
    JoinPlan plan =
        new JoinPlan(
            type,
            side,
            f,
            f,
            List.of(new ColumnRef(0, DataType.LONG, "k")),
            List.of(new ColumnRef(0, DataType.LONG, "k")),
            null);
    int buildRows = 1_000_000;
    List<Object[]> build = new ArrayList<>(buildRows + 10);
    for (int i = 0; i < buildRows; i++) {
      build.add(new Object[] {7L, (long) i});
    }
    for (int i = 0; i < 10; i++) {
      build.add(new Object[] {100L + i, -1L - i});
    }
    List<Object[]> probe = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      probe.add(new Object[] {7L, 1000L + i});
    }
    probe.add(new Object[] {5L, 2000L});
    probe.add(new Object[] {null, 3000L});
    List<List<Object[]>> buildBatches = split(build, 65_536);
    List<List<Object[]>> probeBatches = List.of(probe);
    List<List<Object[]>> left = side == BuildSide.LEFT ? buildBatches : probeBatches;
    List<List<Object[]>> right = side == BuildSide.LEFT ? probeBatches : buildBatches;
    int maxRows = 4096;
    List<List<Object>> actual = run(gpu, plan, left, right, maxRows);
    List<List<Object>> expected = nestedLoopWidth(plan, left, right, 2);
    assertThat(actual).hasSameSizeAs(expected);
    assertThat(multiset(actual)).isEqualTo(multiset(expected));
  }

  @Test
  void buildBeyondItsBudgetFailsWithMemoryExhausted() {
    JoinPlan plan = plan(JoinType.INNER, BuildSide.RIGHT, null);
    Random r = new Random(1);
    try (JoinBuild build = gpu.createJoinBuild(plan, allocator, 64 << 10)) {
      try (VectorSchemaRoot batch =
          TestBatches.batch(allocator, RIGHT, rows(r, RIGHT, 100, 10, 0))) {
        build.add(batch);
      }
      assertThat(build.sizeBytes()).isBetween(1L, 64L << 10);
      VectorSchemaRoot big = TestBatches.batch(allocator, RIGHT, rows(r, RIGHT, 5000, 10, 0));
      try (big) {
        assertThatThrownBy(() -> build.add(big))
            .isInstanceOfSatisfying(
                TruenoException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED))
            .hasMessageContaining("GPU join build of 5100 rows")
            .hasMessageContaining("over its memory budget of 65536 bytes");
      }
    }
  }

  @Test
  void finishedBuildIsProbedByTwoThreadsAtOnce() throws Exception {
    JoinPlan plan = plan(JoinType.INNER, BuildSide.RIGHT, null);
    Random r = new Random(9);
    List<List<Object[]>> right = split(rows(r, RIGHT, 5000, 300, 0.05), 1000);
    List<List<Object[]>> left = split(rows(r, LEFT, 20_000, 300, 0.05), 2500);
    List<List<Object>> expected = nestedLoop(plan, left, right, null);
    try (JoinBuild build = gpu.createJoinBuild(plan, allocator, Long.MAX_VALUE)) {
      for (List<Object[]> rows : right) {
        try (VectorSchemaRoot batch = TestBatches.batch(allocator, RIGHT, rows)) {
          build.add(batch);
        }
      }
      build.finish();
      ExecutorService threads = Executors.newFixedThreadPool(2);
      try {
        List<Future<List<List<Object>>>> results = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
          results.add(threads.submit(() -> probeAll(gpu, plan, build, left, 333)));
        }
        for (Future<List<List<Object>>> f : results) {
          assertThat(multiset(f.get())).isEqualTo(multiset(expected));
        }
      } finally {
        threads.shutdown();
      }
    }
  }
}
