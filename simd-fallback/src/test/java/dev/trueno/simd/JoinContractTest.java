package dev.trueno.simd;

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
import dev.trueno.core.expr.Cast;
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
import dev.trueno.simd.scalar.ScalarBackend;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.opentest4j.TestAbortedException;

/**
 * The hash join contract every backend must meet, with Spark's join semantics as the oracle:
 * expected rows come from a nested-loop join over plain Java values written here (NULL keys never
 * match, every NaN is one key and -0.0 equals 0.0, a NULL condition is no match, outer joins
 * NULL-extend, semi and anti joins output each left row at most once, existence joins every left
 * row with a flag) and are compared as multisets, since output order is unspecified. Every result
 * batch must have the plan's output schema and at most {@code maxRows} rows. Every test is also a
 * leak check of the Arrow allocator.
 *
 * <p>A backend that runs only some of these plans (the GPU) says so in {@link #assumeRuns}: those
 * tests are then reported as skipped with its reason.
 */
public abstract class JoinContractTest {
  protected BufferAllocator allocator;

  /** The backend under test. */
  protected abstract Backend backend();

  /**
   * Called with every plan before the suite runs it: a backend that runs only part of the
   * contract's plans aborts here (a JUnit assumption) with its reason for the others. Plans it lets
   * through must meet the contract; the default lets every plan through.
   */
  protected void assumeRuns(JoinPlan plan) {}

  @BeforeEach
  void openAllocator() {
    allocator = new RootAllocator(512L << 20);
  }

  @AfterEach
  void closeAllocator() {
    allocator.close();
  }

  // ---- plans and values ----

  protected static final DataType DEC10 = DataType.decimal(10, 2);
  protected static final DataType DEC30 = DataType.decimal(30, 2);

  protected static Field field(String name, DataType type) {
    return new Field(name, type, true);
  }

  protected static ColumnRef col(int ordinal, DataType type) {
    return new ColumnRef(ordinal, type, "c" + ordinal);
  }

  protected static JoinPlan plan(
      JoinType type,
      BuildSide side,
      List<Field> left,
      List<Field> right,
      List<Expr> leftKeys,
      List<Expr> rightKeys,
      Expr condition) {
    return new JoinPlan(type, side, left, right, leftKeys, rightKeys, condition);
  }

  /** A plan joining left column {@code lk} with right column {@code rk}. */
  protected static JoinPlan plan(
      JoinType type, BuildSide side, List<Field> left, List<Field> right, int lk, int rk) {
    return plan(
        type,
        side,
        left,
        right,
        List.of(col(lk, left.get(lk).type())),
        List.of(col(rk, right.get(rk).type())),
        null);
  }

  /** Every join type with every build side. */
  static Stream<Arguments> typesAndSides() {
    List<Arguments> out = new ArrayList<>();
    for (JoinType t : JoinType.values()) {
      for (BuildSide s : BuildSide.values()) {
        out.add(Arguments.of(t, s));
      }
    }
    return out.stream();
  }

  /** Key types: each is joined with every join type and build side. */
  protected enum KeyKind {
    INT(DataType.INT),
    LONG(DataType.LONG),
    SHORT(DataType.SHORT),
    STRING(DataType.STRING),
    DECIMAL_10_2(DEC10),
    DECIMAL_30_2(DEC30),
    DATE(DataType.DATE),
    TIMESTAMP(DataType.TIMESTAMP),
    DOUBLE(DataType.DOUBLE),
    FLOAT(DataType.FLOAT),
    BOOLEAN(DataType.BOOLEAN);

    final DataType type;

    KeyKind(DataType type) {
      this.type = type;
    }
  }

  static Stream<Arguments> keyKindsTypesAndSides() {
    List<Arguments> out = new ArrayList<>();
    for (KeyKind k : KeyKind.values()) {
      for (JoinType t : JoinType.values()) {
        for (BuildSide s : BuildSide.values()) {
          out.add(Arguments.of(k, t, s));
        }
      }
    }
    return out.stream();
  }

  private static final double[] DOUBLES = {
    Double.NaN,
    Double.longBitsToDouble(0x7ff8000000000123L),
    Double.longBitsToDouble(0xfff8000000000000L),
    -0.0,
    0.0,
    1.5,
    -1.0,
    Double.POSITIVE_INFINITY
  };

  private static final String[] STRINGS = {
    "", "a", "ab", "abcdefgh", "abcdefghi", "abcdefghijklmnopq", "ü", "b"
  };

  /**
   * A random value of {@code type} from a small domain (so that keys repeat), NULL with probability
   * {@code nullRate}; values are in the form result batches are read back in.
   */
  protected static Object value(Random random, DataType type, double nullRate) {
    if (random.nextDouble() < nullRate) {
      return null;
    }
    int pick = random.nextInt(6);
    return switch (type.kind()) {
      case BOOLEAN -> pick % 2 == 0;
      case BYTE, SHORT -> (long) pick - 2;
      case INT, DATE -> pick == 5 ? (long) Integer.MAX_VALUE : (long) pick - 2;
      case LONG, TIMESTAMP -> pick == 5 ? Long.MIN_VALUE : (long) pick;
      case FLOAT -> (double) (float) DOUBLES[random.nextInt(DOUBLES.length)];
      case DOUBLE -> DOUBLES[random.nextInt(DOUBLES.length)];
      case DECIMAL -> {
        if (pick == 5) {
          // The largest magnitude the type holds, negative: all 16 bytes matter.
          yield new BigDecimal("-" + "9".repeat(type.precision() - type.scale()) + ".99")
              .setScale(type.scale());
        }
        yield BigDecimal.valueOf(pick, type.scale());
      }
      case STRING -> STRINGS[random.nextInt(STRINGS.length)];
    };
  }

  /** The most negative value of a decimal type. */
  protected static BigDecimal lowest(DataType type) {
    return new BigDecimal("-" + "9".repeat(type.precision() - type.scale()) + ".99")
        .setScale(type.scale());
  }

  /** {@code count} random rows of the given columns. */
  protected static List<Object[]> rows(Random random, List<Field> fields, int count, double nulls) {
    List<Object[]> out = new ArrayList<>();
    for (int r = 0; r < count; r++) {
      Object[] row = new Object[fields.size()];
      for (int c = 0; c < row.length; c++) {
        row[c] = value(random, fields.get(c).type(), nulls);
      }
      out.add(row);
    }
    return out;
  }

  /** {@code batches} batches of up to {@code max} random rows each (empty batches included). */
  protected static List<List<Object[]>> batches(
      Random random, List<Field> fields, int batches, int max, double nulls) {
    List<List<Object[]>> out = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      out.add(rows(random, fields, random.nextInt(max + 1), nulls));
    }
    return out;
  }

  // ---- running a join ----

  /** Runs the plan on the backend under test with an unbounded budget. */
  protected List<List<Object>> run(
      JoinPlan plan, List<List<Object[]>> left, List<List<Object[]>> right, int maxRows) {
    assumeRuns(plan);
    return run(backend(), plan, left, right, maxRows);
  }

  /**
   * Builds, probes and finishes a join on {@code backend}; checks the output schema, the maxRows
   * bound and the row counters, and returns every output row.
   */
  protected List<List<Object>> run(
      Backend backend,
      JoinPlan plan,
      List<List<Object[]>> left,
      List<List<Object[]>> right,
      int maxRows) {
    assertThat(backend.unsupportedReason(plan)).isNull();
    boolean buildLeft = plan.buildSide() == BuildSide.LEFT;
    List<List<Object[]>> buildBatches = buildLeft ? left : right;
    List<List<Object[]>> probeBatches = buildLeft ? right : left;
    List<List<Object>> out = new ArrayList<>();
    try (JoinBuild build = backend.createJoinBuild(plan, allocator, Long.MAX_VALUE)) {
      long buildRows = 0;
      for (List<Object[]> rows : buildBatches) {
        try (VectorSchemaRoot batch = TestBatches.batch(allocator, plan.buildFields(), rows)) {
          build.add(batch);
        }
        buildRows += rows.size();
      }
      build.finish();
      assertThat(build.rowCount()).isEqualTo(buildRows);
      assertThat(build.sizeBytes()).isNotNegative();
      out.addAll(probeAll(backend, plan, build, probeBatches, maxRows));
    }
    return out;
  }

  /** Probes a finished build with every probe batch and drains the build-side rows. */
  protected List<List<Object>> probeAll(
      Backend backend,
      JoinPlan plan,
      JoinBuild build,
      List<List<Object[]>> probeBatches,
      int maxRows) {
    List<List<Object>> out = new ArrayList<>();
    try (JoinProbe probe = backend.createJoinProbe(plan, build, allocator)) {
      long probeRows = 0;
      for (List<Object[]> rows : probeBatches) {
        try (VectorSchemaRoot batch = TestBatches.batch(allocator, plan.probeFields(), rows)) {
          probe.probe(batch);
          while (drainOne(plan, probe.next(maxRows), maxRows, out)) {
            // until the probe batch is done
          }
        }
        probeRows += rows.size();
      }
      while (drainOne(plan, probe.finish(maxRows), maxRows, out)) {
        // until the build side's rows are done
      }
      assertThat(probe.probeRows()).isEqualTo(probeRows);
    }
    return out;
  }

  /** Checks and reads one result batch into {@code out} and closes it; false when null. */
  private static boolean drainOne(
      JoinPlan plan, VectorSchemaRoot result, int maxRows, List<List<Object>> out) {
    if (result == null) {
      return false;
    }
    try (result) {
      assertThat(result.getSchema()).isEqualTo(ArrowSchemas.arrowSchema(plan.output()));
      assertThat(result.getRowCount()).isBetween(0, maxRows);
      out.addAll(TestBatches.rows(result));
    }
    return true;
  }

  // ---- the nested-loop reference ----

  /** How the reference evaluates one key or the condition, independently of any backend. */
  protected static Function<Object[], Object> column(int ordinal) {
    return row -> row[ordinal];
  }

  /** The reference keys of plain column keys. */
  protected static List<Function<Object[], Object>> columnKeys(List<Expr> keys) {
    List<Function<Object[], Object>> out = new ArrayList<>();
    for (Expr k : keys) {
      out.add(column(((ColumnRef) k).ordinal()));
    }
    return out;
  }

  /** Spark's join key equality on the test's Java values. */
  protected static boolean keyEquals(Object a, Object b) {
    if (a == null || b == null) {
      return false;
    }
    if (a instanceof Double x && b instanceof Double y) {
      // Double.compare puts every NaN together; fold -0.0 into 0.0 first.
      return Double.compare(x == 0.0 ? 0.0 : x, y == 0.0 ? 0.0 : y) == 0;
    }
    if (a instanceof BigDecimal x && b instanceof BigDecimal y) {
      return x.compareTo(y) == 0;
    }
    return a.equals(b);
  }

  /** The join by definition: every pair of rows, for a plan with column keys. */
  protected static List<List<Object>> nestedLoop(
      JoinPlan plan,
      List<List<Object[]>> left,
      List<List<Object[]>> right,
      BiFunction<Object[], Object[], Boolean> condition) {
    return nestedLoop(
        plan, left, right, columnKeys(plan.leftKeys()), columnKeys(plan.rightKeys()), condition);
  }

  /** The join by definition, with the keys and condition given as Java functions. */
  protected static List<List<Object>> nestedLoop(
      JoinPlan plan,
      List<List<Object[]>> leftBatches,
      List<List<Object[]>> rightBatches,
      List<Function<Object[], Object>> leftKeys,
      List<Function<Object[], Object>> rightKeys,
      BiFunction<Object[], Object[], Boolean> condition) {
    List<Object[]> left = flatten(leftBatches);
    List<Object[]> right = flatten(rightBatches);
    JoinType type = plan.type();
    int lw = plan.left().size();
    int rw = plan.right().size();
    List<List<Object>> out = new ArrayList<>();
    boolean[] rightMatched = new boolean[right.size()];
    for (Object[] l : left) {
      boolean any = false;
      for (int j = 0; j < right.size(); j++) {
        Object[] r = right.get(j);
        boolean keys = true;
        for (int k = 0; k < leftKeys.size() && keys; k++) {
          keys = keyEquals(leftKeys.get(k).apply(l), rightKeys.get(k).apply(r));
        }
        if (!keys || (condition != null && !Boolean.TRUE.equals(condition.apply(l, r)))) {
          continue;
        }
        any = true;
        rightMatched[j] = true;
        if (type.outputsRight()) {
          out.add(concat(l, r));
        }
      }
      switch (type) {
        case LEFT_OUTER, FULL_OUTER -> {
          if (!any) {
            out.add(concat(l, new Object[rw]));
          }
        }
        case LEFT_SEMI -> {
          if (any) {
            out.add(concat(l, new Object[0]));
          }
        }
        case LEFT_ANTI -> {
          if (!any) {
            out.add(concat(l, new Object[0]));
          }
        }
        case EXISTENCE -> out.add(concat(l, new Object[] {any}));
        case INNER, RIGHT_OUTER -> {}
      }
    }
    if (type.keepsUnmatchedRight()) {
      for (int j = 0; j < right.size(); j++) {
        if (!rightMatched[j]) {
          out.add(concat(new Object[lw], right.get(j)));
        }
      }
    }
    return out;
  }

  private static List<Object[]> flatten(List<List<Object[]>> batches) {
    List<Object[]> out = new ArrayList<>();
    batches.forEach(out::addAll);
    return out;
  }

  private static List<Object> concat(Object[] a, Object[] b) {
    List<Object> out = new ArrayList<>(Arrays.asList(a));
    out.addAll(Arrays.asList(b));
    return out;
  }

  /** Runs the plan and compares with the nested loop as multisets. */
  protected void check(
      JoinPlan plan,
      List<List<Object[]>> left,
      List<List<Object[]>> right,
      BiFunction<Object[], Object[], Boolean> condition,
      int maxRows) {
    List<List<Object>> actual = run(plan, left, right, maxRows);
    assertSameRows(actual, nestedLoop(plan, left, right, condition), "");
  }

  /**
   * Compares rows as multisets by counting them in hash maps (AssertJ's in-any-order comparison is
   * quadratic, too slow for joins of many rows); on a difference, lists a few missing and extra
   * rows.
   */
  protected static void assertSameRows(
      List<List<Object>> actual, List<List<Object>> expected, String what) {
    {
      java.util.Map<List<Object>, Integer> missing = new java.util.HashMap<>();
      for (List<Object> r : expected) {
        missing.merge(r, 1, Integer::sum);
      }
      List<List<Object>> extra = new ArrayList<>();
      for (List<Object> r : actual) {
        Integer n = missing.get(r);
        if (n == null) {
          extra.add(r);
        } else if (n == 1) {
          missing.remove(r);
        } else {
          missing.put(r, n - 1);
        }
      }
      assertThat(extra.size() + missing.size())
          .as(
              what
                  + "%d rows expected, %d produced; rows not expected (up to 10): %s; rows missing"
                  + " (up to 10, with counts): %s",
              expected.size(),
              actual.size(),
              extra.subList(0, Math.min(10, extra.size())),
              missing.entrySet().stream().limit(10).toList())
          .isZero();
    }
  }

  // ---- every join type, build side and key type ----

  private static List<Field> keyedLeft(DataType key) {
    return List.of(
        field("k", key), field("a", DataType.LONG), field("s", DataType.STRING), field("m", DEC30));
  }

  private static List<Field> keyedRight(DataType key) {
    return List.of(
        field("x", DataType.DOUBLE),
        field("k", key),
        field("b", DataType.BOOLEAN),
        field("d", DEC10),
        field("t", DataType.TIMESTAMP));
  }

  /**
   * Many-to-many keys with NULLs, NaNs and -0.0, several build and probe batches (empty ones too),
   * small output batches.
   */
  @ParameterizedTest(name = "{0} key, {1}, build {2}")
  @MethodSource("keyKindsTypesAndSides")
  void everyKeyTypeJoinsLikeTheNestedLoop(KeyKind key, JoinType type, BuildSide side) {
    Random random = new Random(31L * key.ordinal() + 7L * type.ordinal() + side.ordinal());
    List<Field> left = keyedLeft(key.type);
    List<Field> right = keyedRight(key.type);
    JoinPlan p = plan(type, side, left, right, 0, 1);
    check(p, batches(random, left, 4, 25, 0.15), batches(random, right, 3, 25, 0.15), null, 7);
  }

  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void multipleKeysMustAllBeEqual(JoinType type, BuildSide side) {
    Random random = new Random(11 + type.ordinal() * 2 + side.ordinal());
    List<Field> left =
        List.of(
            field("k1", DataType.LONG),
            field("k2", DataType.STRING),
            field("k3", DataType.DATE),
            field("k4", DataType.DOUBLE),
            field("v", DEC30));
    List<Field> right =
        List.of(
            field("k2", DataType.STRING),
            field("w", DataType.INT),
            field("k4", DataType.DOUBLE),
            field("k3", DataType.DATE),
            field("k1", DataType.LONG));
    JoinPlan p =
        plan(
            type,
            side,
            left,
            right,
            List.of(
                col(0, DataType.LONG),
                col(1, DataType.STRING),
                col(2, DataType.DATE),
                col(3, DataType.DOUBLE)),
            List.of(
                col(4, DataType.LONG),
                col(0, DataType.STRING),
                col(3, DataType.DATE),
                col(2, DataType.DOUBLE)),
            null);
    // Few distinct values per key, so that full matches are common and partial ones too.
    List<List<Object[]>> l = narrow(batches(random, left, 3, 40, 0.05), 0, 1, 2, 3);
    List<List<Object[]>> r = narrow(batches(random, right, 3, 40, 0.05), 4, 0, 3, 2);
    check(p, l, r, null, 16);
  }

  /** Maps the given key columns to two values each (plus NULL), so that matches are frequent. */
  private static List<List<Object[]>> narrow(List<List<Object[]>> batches, int... columns) {
    for (List<Object[]> batch : batches) {
      for (Object[] row : batch) {
        for (int c : columns) {
          Object v = row[c];
          if (v instanceof Long l) {
            row[c] = Math.floorMod(l, 2L);
          } else if (v instanceof String s) {
            row[c] = s.length() % 2 == 0 ? "x" : "y";
          } else if (v instanceof Double d) {
            row[c] = Double.isNaN(d) ? Double.NaN : d == 0.0 ? -0.0 : 0.0;
          }
        }
      }
    }
    return batches;
  }

  // ---- empty inputs and NULL keys ----

  private static final List<Field> L2 =
      List.of(field("k", DataType.LONG), field("v", DataType.STRING));
  private static final List<Field> R2 =
      List.of(field("k", DataType.LONG), field("w", DataType.DOUBLE));

  private static List<List<Object[]>> some(Object[]... rows) {
    return List.of(Arrays.asList(rows));
  }

  private static Object[] row(Object... values) {
    return values;
  }

  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void emptyBuildSide(JoinType type, BuildSide side) {
    JoinPlan p = plan(type, side, L2, R2, 0, 0);
    List<List<Object[]>> data = some(row(1L, "a"), row(null, "b"), row(2L, null));
    List<List<Object[]>> dataR = some(row(1L, 1.0), row(null, 2.0));
    List<List<Object[]>> emptyBatch = List.of(List.of());
    List<List<Object[]>> noBatch = List.of();
    if (side == BuildSide.LEFT) {
      check(p, emptyBatch, dataR, null, 4);
      check(p, noBatch, dataR, null, 4);
    } else {
      check(p, data, emptyBatch, null, 4);
      check(p, data, noBatch, null, 4);
    }
  }

  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void emptyProbeSide(JoinType type, BuildSide side) {
    JoinPlan p = plan(type, side, L2, R2, 0, 0);
    List<List<Object[]>> dataL = some(row(1L, "a"), row(null, "b"), row(1L, null));
    List<List<Object[]>> dataR = some(row(1L, 1.0), row(null, 2.0), row(3L, -0.0));
    List<List<Object[]>> emptyBatches = List.of(List.of(), List.of());
    if (side == BuildSide.LEFT) {
      check(p, dataL, emptyBatches, null, 4);
      check(p, dataL, List.of(), null, 4);
    } else {
      check(p, emptyBatches, dataR, null, 4);
      check(p, List.of(), dataR, null, 4);
    }
  }

  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void allNullKeysMatchNothing(JoinType type, BuildSide side) {
    JoinPlan p = plan(type, side, L2, R2, 0, 0);
    List<List<Object[]>> l = some(row(null, "a"), row(null, "b"), row(null, null));
    List<List<Object[]>> r =
        List.of(List.<Object[]>of(row(null, 1.0)), List.<Object[]>of(row(null, 2.0)));
    List<List<Object>> actual = run(p, l, r, 2);
    assertSameRows(actual, nestedLoop(p, l, r, null), "");
    if (type == JoinType.LEFT_ANTI) {
      // Not the null-aware anti join of NOT IN: a NULL key finds no match, so the row stays.
      assertThat(actual).hasSize(3);
    }
  }

  @Test
  void nanMatchesNanAndNegativeZeroMatchesZero() {
    List<Field> left = List.of(field("k", DataType.DOUBLE));
    List<Field> right = List.of(field("k", DataType.DOUBLE));
    double otherNaN = Double.longBitsToDouble(0x7ff8000000000abcL);
    List<List<Object[]>> l = some(row(Double.NaN), row(-0.0), row(1.0), row((Object) null));
    List<List<Object[]>> r = some(row(otherNaN), row(0.0), row(-1.0), row((Object) null));
    JoinPlan p = plan(JoinType.INNER, BuildSide.RIGHT, left, right, 0, 0);
    // Output values are the inputs as they were: only the key comparison normalizes.
    assertThat(run(p, l, r, 10))
        .containsExactlyInAnyOrder(List.of(Double.NaN, otherNaN), List.of(-0.0, 0.0));
  }

  // ---- extra condition ----

  private static final List<Field> LC =
      List.of(field("k", DataType.LONG), field("x", DataType.LONG), field("s", DataType.STRING));
  private static final List<Field> RC =
      List.of(field("y", DataType.LONG), field("k", DataType.LONG), field("t", DataType.STRING));

  /** {@code x < y}: NULL when either is NULL, and a NULL condition is no match. */
  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void conditionFalseOrNullIsNoMatch(JoinType type, BuildSide side) {
    Random random = new Random(5 + type.ordinal() * 2 + side.ordinal());
    Expr condition =
        new Comparison(ComparisonOp.LESS_THAN, col(1, DataType.LONG), col(3, DataType.LONG));
    JoinPlan p =
        plan(
            type,
            side,
            LC,
            RC,
            List.of(col(0, DataType.LONG)),
            List.of(col(1, DataType.LONG)),
            condition);
    BiFunction<Object[], Object[], Boolean> ref =
        (l, r) -> l[1] == null || r[0] == null ? null : (Long) l[1] < (Long) r[0];
    check(p, batches(random, LC, 3, 30, 0.2), batches(random, RC, 3, 30, 0.2), ref, 5);
  }

  /** A condition over strings of both sides: {@code s <> t}. */
  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void conditionComparesStringsOfBothSides(JoinType type, BuildSide side) {
    Random random = new Random(99 + type.ordinal() * 2 + side.ordinal());
    Expr condition =
        new dev.trueno.core.expr.Not(
            new Comparison(ComparisonOp.EQUAL, col(2, DataType.STRING), col(5, DataType.STRING)));
    JoinPlan p =
        plan(
            type,
            side,
            LC,
            RC,
            List.of(col(0, DataType.LONG)),
            List.of(col(1, DataType.LONG)),
            condition);
    BiFunction<Object[], Object[], Boolean> ref =
        (l, r) -> l[2] == null || r[2] == null ? null : !l[2].equals(r[2]);
    check(p, batches(random, LC, 2, 40, 0.2), batches(random, RC, 2, 40, 0.2), ref, 8);
  }

  // ---- expression keys ----

  /** Keys computed from columns: {@code a + 1 = cast(i as bigint)}. */
  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void expressionKeys(JoinType type, BuildSide side) {
    Random random = new Random(3 + type.ordinal() * 2 + side.ordinal());
    List<Field> left = List.of(field("a", DataType.LONG), field("s", DataType.STRING));
    List<Field> right = List.of(field("w", DataType.STRING), field("i", DataType.INT));
    Expr leftKey =
        new Arithmetic(
            ArithmeticOp.ADD,
            col(0, DataType.LONG),
            new Literal(1L, DataType.LONG),
            DataType.LONG,
            false);
    Expr rightKey = new Cast(col(1, DataType.INT), DataType.LONG, false);
    JoinPlan p = plan(type, side, left, right, List.of(leftKey), List.of(rightKey), null);
    Function<Object[], Object> lk = r -> r[0] == null ? null : (Long) r[0] + 1;
    Function<Object[], Object> rk = r -> r[1];
    List<List<Object[]>> l = batches(random, left, 3, 30, 0.1);
    List<List<Object[]>> r = batches(random, right, 3, 30, 0.1);
    List<List<Object>> actual = run(p, l, r, 6);
    assertSameRows(actual, nestedLoop(p, l, r, List.of(lk), List.of(rk), null), "");
  }

  /**
   * Computed string and wide decimal keys: {@code coalesce(s, 'ab') = coalesce(t, 'ab')} and {@code
   * coalesce(m, -1.00) = coalesce(n, -1.00)} with m, n decimal(30,2).
   */
  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void computedStringAndWideDecimalKeys(JoinType type, BuildSide side) {
    Random random = new Random(41 + type.ordinal() * 2 + side.ordinal());
    List<Field> left = List.of(field("s", DataType.STRING), field("m", DEC30));
    List<Field> right = List.of(field("n", DEC30), field("t", DataType.STRING));
    // The most negative decimal(30,2), which the random values also hold.
    BigDecimal fallback = lowest(DEC30);
    Literal ab = new Literal(dev.trueno.core.types.Utf8.of("ab"), DataType.STRING);
    Literal dec = new Literal(fallback, DEC30);
    JoinPlan p =
        plan(
            type,
            side,
            left,
            right,
            List.of(
                new dev.trueno.core.expr.Coalesce(
                    List.of(col(0, DataType.STRING), ab), DataType.STRING),
                col(1, DEC30)),
            List.of(
                new dev.trueno.core.expr.Coalesce(
                    List.of(col(1, DataType.STRING), ab), DataType.STRING),
                new dev.trueno.core.expr.Coalesce(List.of(col(0, DEC30), dec), DEC30)),
            null);
    List<List<Object[]>> l = narrow(batches(random, left, 3, 30, 0.2), 0);
    List<List<Object[]>> r = narrow(batches(random, right, 3, 30, 0.2), 1);
    Function<Object[], Object> ls = x -> x[0] == null ? "ab" : x[0];
    Function<Object[], Object> lm = x -> x[1];
    Function<Object[], Object> rs = x -> x[1] == null ? "ab" : x[1];
    Function<Object[], Object> rm = x -> x[0] == null ? fallback : x[0];
    assertSameRows(
        run(p, l, r, 5), nestedLoop(p, l, r, List.of(ls, lm), List.of(rs, rm), null), "");
  }

  /** An ANSI overflow in a key expression is raised as Spark raises it, on either side. */
  @ParameterizedTest(name = "build {0}")
  @org.junit.jupiter.params.provider.EnumSource(BuildSide.class)
  void ansiOverflowInAKeyIsRaised(BuildSide side) {
    List<Field> left = List.of(field("a", DataType.LONG));
    List<Field> right = List.of(field("b", DataType.LONG));
    Expr leftKey =
        new Arithmetic(
            ArithmeticOp.ADD,
            col(0, DataType.LONG),
            new Literal(1L, DataType.LONG),
            DataType.LONG,
            true);
    JoinPlan p =
        plan(
            JoinType.INNER,
            side,
            left,
            right,
            List.of(leftKey),
            List.of(col(0, DataType.LONG)),
            null);
    List<List<Object[]>> l = some(row(1L), row(Long.MAX_VALUE));
    List<List<Object[]>> r = some(row(2L));
    assumeRuns(p);
    assertThatThrownBy(() -> run(p, l, r, 4))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("overflow")
        .satisfies(
            e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.ARITHMETIC_OVERFLOW));
  }

  // ---- bounded output ----

  /** One key shared by thousands of build rows still comes out in batches of maxRows. */
  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void skewedKeyComesOutInBatchesOfMaxRows(JoinType type, BuildSide side) {
    List<Object[]> many = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      many.add(row(7L, (double) i));
    }
    List<Object[]> few = List.of(row(7L, "p"), row(8L, "q"), row(7L, null), row(7L, "r"));
    List<Object[]> manyLeft = new ArrayList<>();
    for (Object[] r : many) {
      manyLeft.add(row(r[0], String.valueOf(r[1])));
    }
    List<Object[]> fewRight = new ArrayList<>();
    for (Object[] r : few) {
      fewRight.add(row(r[0], r[1] == null ? null : 1.0));
    }
    JoinPlan p = plan(type, side, L2, R2, 0, 0);
    // The build side holds the many rows, split over two batches.
    List<List<Object[]>> l;
    List<List<Object[]>> r;
    if (side == BuildSide.RIGHT) {
      l = List.of(few);
      r = List.of(many.subList(0, 1000), many.subList(1000, many.size()));
    } else {
      l = List.of(manyLeft.subList(0, 1000), manyLeft.subList(1000, manyLeft.size()));
      r = List.of(fewRight);
    }
    List<List<Object>> actual = run(p, l, r, 64);
    assertSameRows(actual, nestedLoop(p, l, r, null), "");
  }

  // ---- memory budget ----

  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void buildBeyondItsBudgetFailsWithMemoryExhausted(JoinType type, BuildSide side) {
    JoinPlan p = plan(type, side, L2, R2, 0, 0);
    assumeRuns(p);
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      rows.add(side == BuildSide.LEFT ? row((long) i, "value " + i) : row((long) i, (double) i));
    }
    try (JoinBuild build = backend().createJoinBuild(p, allocator, 16 << 10)) {
      assertThatThrownBy(
              () -> {
                for (int b = 0; b < 10; b++) {
                  try (VectorSchemaRoot batch =
                      TestBatches.batch(allocator, p.buildFields(), rows)) {
                    build.add(batch);
                  }
                }
              })
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining("memory budget of " + (16 << 10) + " bytes")
          .satisfies(
              e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED));
    }
  }

  @Test
  void buildWithinItsBudgetReportsItsSize() {
    JoinPlan p = plan(JoinType.INNER, BuildSide.RIGHT, L2, R2, 0, 0);
    assumeRuns(p);
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      rows.add(row((long) i, (double) i));
    }
    try (JoinBuild build = backend().createJoinBuild(p, allocator, 64L << 20)) {
      try (VectorSchemaRoot batch = TestBatches.batch(allocator, p.buildFields(), rows)) {
        build.add(batch);
      }
      build.finish();
      assertThat(build.rowCount()).isEqualTo(1000);
      // At least the two retained columns: 1000 longs and 1000 doubles.
      assertThat(build.sizeBytes()).isBetween(16_000L, 64L << 20);
    }
  }

  // ---- a shared build ----

  static Stream<JoinType> typesWithoutBuildTracking() {
    return Stream.of(JoinType.values())
        .filter(t -> !plan(t, BuildSide.RIGHT, L2, R2, 0, 0).tracksBuildMatches());
  }

  /** Spreads the non-NULL long keys in column 0 over 0 to 299, for fewer matches per key. */
  private static List<List<Object[]>> spread(List<List<Object[]>> batches, Random random) {
    for (List<Object[]> batch : batches) {
      for (Object[] row : batch) {
        if (row[0] != null) {
          row[0] = (long) random.nextInt(300);
        }
      }
    }
    return batches;
  }

  /** A build without match tracking is probed by two threads at once. */
  @ParameterizedTest
  @MethodSource("typesWithoutBuildTracking")
  void finishedBuildIsProbedByTwoThreadsAtOnce(JoinType type) throws Exception {
    JoinPlan p = plan(type, BuildSide.RIGHT, L2, R2, 0, 0);
    assumeRuns(p);
    Random random = new Random(17 + type.ordinal());
    List<List<Object[]>> right = spread(batches(random, R2, 3, 500, 0.1), random);
    List<List<Object[]>> leftA = spread(batches(random, L2, 20, 300, 0.1), random);
    List<List<Object[]>> leftB = spread(batches(random, L2, 20, 300, 0.1), random);
    assertThat(backend().unsupportedReason(p)).isNull();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (JoinBuild build = backend().createJoinBuild(p, allocator, Long.MAX_VALUE)) {
      for (List<Object[]> rows : right) {
        try (VectorSchemaRoot batch = TestBatches.batch(allocator, R2, rows)) {
          build.add(batch);
        }
      }
      build.finish();
      CyclicBarrier start = new CyclicBarrier(2);
      List<Callable<List<List<Object>>>> tasks = new ArrayList<>();
      for (List<List<Object[]>> left : List.of(leftA, leftB)) {
        tasks.add(
            () -> {
              start.await();
              return probeAll(backend(), p, build, left, 50);
            });
      }
      List<List<Object>> actual = Collections.synchronizedList(new ArrayList<>());
      for (Future<List<List<Object>>> f : pool.invokeAll(tasks)) {
        actual.addAll(f.get());
      }
      List<List<Object>> expected = new ArrayList<>(nestedLoop(p, leftA, right, null));
      expected.addAll(nestedLoop(p, leftB, right, null));
      assertSameRows(actual, expected, "");
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- batches reused by the caller ----

  /**
   * A reader that reuses one batch: refilled for the next build batch after add() (which took over
   * its buffers), and for the next probe batch once the previous one is drained.
   */
  @ParameterizedTest(name = "{0}, build {1}")
  @MethodSource("typesAndSides")
  void batchesRefilledByTheCallerAfterUse(JoinType type, BuildSide side) {
    JoinPlan p = plan(type, side, L2, R2, 0, 0);
    assumeRuns(p);
    Random random = new Random(23 + type.ordinal() * 2 + side.ordinal());
    List<List<Object[]>> l = batches(random, L2, 3, 20, 0.1);
    List<List<Object[]>> r = batches(random, R2, 3, 20, 0.1);
    List<List<Object[]>> build = side == BuildSide.LEFT ? l : r;
    List<List<Object[]>> probeSide = side == BuildSide.LEFT ? r : l;
    List<List<Object>> actual = new ArrayList<>();
    try (JoinBuild b = backend().createJoinBuild(p, allocator, Long.MAX_VALUE);
        VectorSchemaRoot buildBatch = TestBatches.batch(allocator, p.buildFields(), List.of())) {
      for (List<Object[]> rows : build) {
        TestBatches.refill(buildBatch, rows);
        b.add(buildBatch);
      }
      b.finish();
      try (JoinProbe probe = backend().createJoinProbe(p, b, allocator);
          VectorSchemaRoot probeBatch = TestBatches.batch(allocator, p.probeFields(), List.of())) {
        for (List<Object[]> rows : probeSide) {
          TestBatches.refill(probeBatch, rows);
          probe.probe(probeBatch);
          while (drainOne(p, probe.next(3), 3, actual)) {
            // until the probe batch is done
          }
        }
        while (drainOne(p, probe.finish(3), 3, actual)) {
          // until the build side's rows are done
        }
      }
    }
    assertSameRows(actual, nestedLoop(p, l, r, null), "");
  }

  // ---- unsupported plans ----

  @Test
  void keysOfDifferentTypesAreRefusedWithAReason() {
    List<Field> left = List.of(field("k", DataType.INT));
    List<Field> right = List.of(field("k", DataType.STRING));
    JoinPlan p = plan(JoinType.INNER, BuildSide.RIGHT, left, right, 0, 0);
    String reason = backend().unsupportedReason(p);
    assertThat(reason).isNotBlank();
    assertThatThrownBy(() -> backend().createJoinBuild(p, allocator, Long.MAX_VALUE).close())
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining(reason)
        .satisfies(e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.UNSUPPORTED));
  }

  @Test
  void nonBooleanConditionIsRefusedWithAReason() {
    JoinPlan p =
        plan(
            JoinType.INNER,
            BuildSide.RIGHT,
            L2,
            R2,
            List.of(col(0, DataType.LONG)),
            List.of(col(0, DataType.LONG)),
            col(0, DataType.LONG));
    assertThat(backend().unsupportedReason(p)).isNotBlank();
  }

  // ---- property: random joins equal the scalar reference and the nested loop ----

  private static final List<Field> PL =
      List.of(
          field("k1", DataType.LONG),
          field("k2", DataType.STRING),
          field("x", DataType.LONG),
          field("m", DEC30),
          field("f", DataType.DOUBLE));
  private static final List<Field> PR =
      List.of(
          field("y", DataType.LONG),
          field("k2", DataType.STRING),
          field("k1", DataType.LONG),
          field("b", DataType.BOOLEAN),
          field("d", DEC10));

  /** The plans of the property: every join type and build side, one or two keys, a condition. */
  static List<JoinPlan> propertyPlans(int keys, boolean withCondition) {
    List<Expr> lk = new ArrayList<>(List.of(col(0, DataType.LONG)));
    List<Expr> rk = new ArrayList<>(List.of(col(2, DataType.LONG)));
    if (keys == 2) {
      lk.add(col(1, DataType.STRING));
      rk.add(col(1, DataType.STRING));
    }
    Expr condition =
        withCondition
            ? new Comparison(
                ComparisonOp.LESS_THAN_OR_EQUAL,
                col(2, DataType.LONG),
                col(PL.size(), DataType.LONG))
            : null;
    List<JoinPlan> out = new ArrayList<>();
    for (JoinType t : JoinType.values()) {
      for (BuildSide s : BuildSide.values()) {
        out.add(plan(t, s, PL, PR, lk, rk, condition));
      }
    }
    return out;
  }

  /**
   * Seeded random inputs of every join type and build side: the backend's rows, the scalar
   * reference's and the nested loop's are one multiset. Plans the backend refuses (see {@link
   * #assumeRuns}) are left out of the property; the example tests report them as skipped.
   */
  @Property(tries = 40)
  @AddLifecycleHook(SkipWhenTheBackendRunsNoPropertyPlan.class)
  void randomJoinsEqualTheScalarReferenceAndTheNestedLoop(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 2) int keys,
      @ForAll boolean withCondition,
      @ForAll @IntRange(min = 1, max = 40) int maxRows) {
    allocator = new RootAllocator(512L << 20);
    try {
      Random random = new Random(seed);
      List<List<Object[]>> l = batches(random, PL, 1 + random.nextInt(3), 30, 0.15);
      List<List<Object[]>> r = batches(random, PR, 1 + random.nextInt(3), 30, 0.15);
      for (List<Object[]> batch : l) {
        narrow(List.of(batch), 1);
      }
      for (List<Object[]> batch : r) {
        narrow(List.of(batch), 1);
      }
      BiFunction<Object[], Object[], Boolean> ref =
          withCondition
              ? (a, b) -> a[2] == null || b[0] == null ? null : (Long) a[2] <= (Long) b[0]
              : null;
      Backend scalar = new ScalarBackend();
      for (JoinPlan p : propertyPlans(keys, withCondition)) {
        if (!runs(p)) {
          continue;
        }
        List<List<Object>> expected = nestedLoop(p, l, r, ref);
        String what = p.type() + " build " + p.buildSide() + ", seed " + seed + ": ";
        assertSameRows(run(backend(), p, l, r, maxRows), expected, what);
        assertSameRows(run(scalar, p, l, r, maxRows), expected, "scalar reference, " + what);
      }
    } finally {
      allocator.close();
    }
  }

  private boolean runs(JoinPlan plan) {
    try {
      assumeRuns(plan);
      return true;
    } catch (TestAbortedException e) {
      return false;
    }
  }

  /**
   * Skips the property, with the backend's reason, when {@link #assumeRuns} refuses every one of
   * its plans. jqwik runs no JUnit {@code @BeforeEach} and counts an assumption that fails inside a
   * try as a rejected try, so the check runs here, before any try.
   */
  static final class SkipWhenTheBackendRunsNoPropertyPlan implements SkipExecutionHook {
    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
      if (!(context instanceof PropertyLifecycleContext property)) {
        return SkipResult.doNotSkip();
      }
      JoinContractTest test = (JoinContractTest) property.testInstance();
      String reason = null;
      for (boolean condition : new boolean[] {false, true}) {
        for (JoinPlan p : propertyPlans(2, condition)) {
          try {
            test.assumeRuns(p);
            return SkipResult.doNotSkip();
          } catch (TestAbortedException e) {
            reason = e.getMessage();
          }
        }
      }
      return SkipResult.skip(reason);
    }
  }
}
