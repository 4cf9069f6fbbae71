package dev.trueno.it;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.trueno.gpu.GpuBackend;
import dev.trueno.it.JoinDifferentialTest.Planning;
import dev.trueno.it.JoinDifferentialTest.Type;
import dev.trueno.spark.exec.Backends;
import dev.trueno.spark.exec.TruenoHashJoinExec;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hash joins with {@code spark.trueno.backend=GPU} against vanilla Spark over seeded Parquet
 * tables: every join type, planned as broadcast, shuffled hash and sort merge, on every key type
 * the GPU compares (int, bigint, date, decimal(10,2), double with NaN, -0.0 and 0.0), with NULL and
 * duplicate keys, empty sides, a non-equi condition, a skewed key (about 200k matches) and string
 * columns that are only output.
 *
 * <p>Every {@code TruenoHashJoin} must run on the GPU exactly when {@link GpuBackend} supports its
 * plan (computed here, independently of the rule that placed it), and otherwise show the GPU's
 * reason ({@code backend=simd (not on the GPU: <reason>)}); a join whose keys the GPU compares must
 * have run there. A join on a string key must show the GPU's refusal and still match Spark.
 *
 * <p>Skipped with the reason where no GPU can be used; a failure under {@code
 * -Dtrueno.requireGpu=true}. The data seed is {@code -Dtrueno.it.seed} (default 20240601), printed
 * with every failure. After the run it prints one line starting with {@value #SUMMARY}.
 */
@Tag("gpu")
class GpuJoinDifferentialTest {
  static final String SUMMARY = "GPU join summary:";
  private static final String AQE = "spark.sql.adaptive.enabled";
  private static final String BROADCAST_THRESHOLD = "spark.sql.autoBroadcastJoinThreshold";
  private static final int LEFT_ROWS = 3000;
  private static final int RIGHT_ROWS = 2000;
  private static final int KEYS = 400;
  // Rows of the skewed key on each side: 448 x 448 = 200,704 matches.
  private static final int SKEWED_ROWS = 448;

  /** The key columns of the GPU's key types. */
  static final List<String> GPU_KEYS = List.of("k_int", "k_long", "k_date", "k_dec", "k_dbl");

  @TempDir static Path dir;
  private static DifferentialHarness harness;

  private static final AtomicInteger joinsOnGpu = new AtomicInteger();
  private static final AtomicInteger joinsOffGpu = new AtomicInteger();

  /**
   * The join checks, or without a GPU one test that is skipped with the reason (surefire reports an
   * aborted class or test factory as no test at all, which would hide the skip).
   */
  @TestFactory
  Stream<DynamicTest> joinsOnTheGpu() {
    String unavailable = Backends.gpuUnavailableReason();
    if (unavailable != null) {
      return Stream.of(
          dynamicTest(
              "joins on the GPU",
              () -> {
                if (Boolean.getBoolean("trueno.requireGpu")) {
                  fail("trueno.requireGpu is set but " + unavailable);
                }
                Assumptions.abort(unavailable);
              }));
    }
    harness =
        new DifferentialHarness(SharedSpark.get(), JoinDifferentialTest.SEED).requireTruenoScans();
    writeTables(harness.spark());
    List<DynamicTest> tests = new ArrayList<>();
    everyJoinTypeKeyTypeAndPlanning(tests);
    aNonEquiCondition(tests);
    emptySides(tests);
    aSkewedKey(tests);
    aStringKeyShowsTheGpusRefusal(tests);
    return tests.stream();
  }

  private static void everyJoinTypeKeyTypeAndPlanning(List<DynamicTest> tests) {
    for (Type type : Type.values()) {
      for (Planning planning : Planning.values()) {
        // Every key type where the join is shuffled; one per join type (in turn) where it is
        // broadcast or sort-merge planned: the device's key handling does not depend on planning.
        List<String> keys =
            planning == Planning.SHUFFLE_HASH
                ? GPU_KEYS
                : List.of(GPU_KEYS.get((type.ordinal() + planning.ordinal()) % GPU_KEYS.size()));
        for (String key : keys) {
          String name = type + " on " + key + " planned as " + planning + " on the GPU";
          String sql =
              JoinDifferentialTest.query(type, planning, "gl", "gr", "l." + key + " = r." + key);
          tests.add(dynamicTest(name, () -> check(name, sql, type, planning, true).run()));
        }
      }
    }
    // Two keys of different types in one join.
    for (Type type : List.of(Type.INNER, Type.FULL, Type.ANTI)) {
      String name = type + " on k_int and k_date planned as SHUFFLE_HASH on the GPU";
      String sql =
          JoinDifferentialTest.query(
              type, Planning.SHUFFLE_HASH, "gl", "gr", "l.k_int = r.k_int AND l.k_date = r.k_date");
      tests.add(dynamicTest(name, () -> check(name, sql, type, Planning.SHUFFLE_HASH, true).run()));
    }
  }

  private static void aNonEquiCondition(List<DynamicTest> tests) {
    for (Type type : Type.values()) {
      Planning planning = type == Type.EXISTENCE ? Planning.SORT_MERGE : Planning.SHUFFLE_HASH;
      String name = type + " with a non-equi condition planned as " + planning + " on the GPU";
      String sql =
          JoinDifferentialTest.query(
              type, planning, "gl", "gr", "l.k_long = r.k_long AND l.v + r.v > 60");
      tests.add(dynamicTest(name, () -> check(name, sql, type, planning, true).run()));
    }
  }

  private static void emptySides(List<DynamicTest> tests) {
    // Without AQE: adaptive execution would replace a join with an empty side by an empty relation.
    for (Type type : Type.values()) {
      Planning planning = type == Type.FULL ? Planning.SHUFFLE_HASH : Planning.BROADCAST;
      for (String[] tables : new String[][] {{"ge", "gr"}, {"gl", "ge"}}) {
        String name =
            type
                + " of "
                + tables[0]
                + " and "
                + tables[1]
                + " planned as "
                + planning
                + " on the GPU";
        String sql =
            JoinDifferentialTest.query(type, planning, tables[0], tables[1], "l.k_dec = r.k_dec");
        tests.add(
            dynamicTest(
                name, () -> check(name, sql, type, planning, true).conf(AQE, "false").run()));
      }
    }
  }

  private static void aSkewedKey(List<DynamicTest> tests) {
    for (Type type : List.of(Type.INNER, Type.FULL)) {
      for (Planning planning : List.of(Planning.SHUFFLE_HASH, Planning.BROADCAST)) {
        if (type == Type.FULL && planning == Planning.BROADCAST) {
          continue; // Spark cannot broadcast a full outer join
        }
        String name = type + " of a skewed key planned as " + planning + " on the GPU";
        String sql =
            "SELECT /*+ "
                + planning.hint
                + "(r) */ count(*), count(r.v), sum(l.v), sum(r.v), max(l.s), min(r.s) FROM gs l "
                + type.sql
                + " gs r ON l.k_int = r.k_int";
        tests.add(dynamicTest(name, () -> check(name, sql, type, planning, true).run()));
      }
    }
  }

  private static void aStringKeyShowsTheGpusRefusal(List<DynamicTest> tests) {
    for (Planning planning : List.of(Planning.BROADCAST, Planning.SHUFFLE_HASH)) {
      String name = "INNER on a string key planned as " + planning + " stays on the CPU";
      String sql =
          JoinDifferentialTest.query(Type.INNER, planning, "gl", "gr", "l.k_str = r.k_str");
      tests.add(
          dynamicTest(
              name,
              () ->
                  check(name, sql, Type.INNER, planning, false)
                      .checkPlan(
                          nodes ->
                              DifferentialHarness.truenoJoins(nodes).stream()
                                      .allMatch(
                                          j ->
                                              j.backend() != Backends.Choice.GPU
                                                  && j.gpuFallbackReason() != null
                                                  && j.gpuFallbackReason().contains("string"))
                                  ? null
                                  : "expected every Trueno join to show that the GPU does not"
                                      + " read string keys")
                      .run()));
    }
  }

  /**
   * A check on the GPU backend that a Trueno join replaced the join the hints ask for and ran where
   * {@link GpuBackend} says; with {@code onGpu}, at least one Trueno join must be on the GPU.
   */
  private static DifferentialHarness.Check check(
      String name, String sql, Type type, Planning planning, boolean onGpu) {
    DifferentialHarness.Check c =
        harness
            .sql(name, sql)
            .conf("spark.trueno.backend", "GPU")
            .conf(BROADCAST_THRESHOLD, "-1")
            .joinsAccelerated()
            .exactFloats()
            .checkPlan(GpuJoinDifferentialTest::ranWhereTheGpuSaid);
    if (type == Type.EXISTENCE && planning == Planning.BROADCAST) {
      // An existence join takes no hint: a threshold makes Spark broadcast it.
      c.conf(BROADCAST_THRESHOLD, "10485760");
    }
    if (onGpu) {
      c.checkPlan(
          nodes ->
              DifferentialHarness.truenoJoins(nodes).stream()
                      .anyMatch(j -> j.backend() == Backends.Choice.GPU)
                  ? null
                  : "expected a Trueno join on the GPU (its keys are of the GPU's types)");
    }
    return c;
  }

  /**
   * What is wrong with where the Trueno joins among {@code nodes} ran, or null: on the GPU exactly
   * when {@link GpuBackend#unsupportedReason} accepts the plan, else on the CPU showing that
   * reason.
   */
  static String ranWhereTheGpuSaid(List<SparkPlan> nodes) {
    GpuBackend gpu = new GpuBackend();
    for (TruenoHashJoinExec j : DifferentialHarness.truenoJoins(nodes)) {
      String expected = gpu.unsupportedReason(j.plan());
      String explain = j.simpleString(100);
      if (expected == null) {
        if (j.backend() != Backends.Choice.GPU || !explain.contains("backend=gpu")) {
          return "the GPU backend supports this "
              + j.plan().type()
              + " join, but it ran on "
              + j.backend().label()
              + ": "
              + explain;
        }
        joinsOnGpu.incrementAndGet();
      } else {
        String shown = "backend=" + j.backend().label() + " (not on the GPU: " + expected + ")";
        if (j.backend() == Backends.Choice.GPU
            || !expected.equals(j.gpuFallbackReason())
            || !explain.contains(shown)) {
          return "the GPU backend does not support this "
              + j.plan().type()
              + " join ("
              + expected
              + "), so its explain line should show '"
              + shown
              + "', but it is: "
              + explain;
        }
        joinsOffGpu.incrementAndGet();
      }
    }
    return null;
  }

  @AfterAll
  static void printSummaryAndCloseBuilds() {
    if (harness == null) {
      return; // skipped: no GPU
    }
    TruenoHashJoinExec.closeIdleBroadcastBuilds();
    System.out.println(
        SUMMARY
            + " Trueno joins checked so far in this JVM (this suite and GpuTpchDifferentialTest): "
            + joinsOnGpu.get()
            + " on the GPU, "
            + joinsOffGpu.get()
            + " on the CPU with the GPU's reason");
  }

  private static void writeTables(SparkSession spark) {
    register(spark, "gl", rows(new Random(JoinDifferentialTest.SEED + 10), LEFT_ROWS));
    register(spark, "gr", rows(new Random(JoinDifferentialTest.SEED + 11), RIGHT_ROWS));
    register(spark, "ge", List.of());
    List<Row> skew = new ArrayList<>();
    for (int i = 0; i < SKEWED_ROWS; i++) {
      skew.add(row(7, i, "skew-" + i));
    }
    for (int i = 0; i < 200; i++) {
      skew.add(row(i + 100, i, "other-" + i));
    }
    register(spark, "gs", skew);
  }

  private static void register(SparkSession spark, String name, List<Row> rows) {
    String path = dir.resolve(name + ".parquet").toString();
    spark.createDataFrame(rows, schema()).write().mode("overwrite").parquet(path);
    spark.read().parquet(path).createOrReplaceTempView(name);
  }

  private static StructType schema() {
    return new StructType(
        new StructField[] {
          DataTypes.createStructField("k_int", DataTypes.IntegerType, true),
          DataTypes.createStructField("k_long", DataTypes.LongType, true),
          DataTypes.createStructField("k_str", DataTypes.StringType, true),
          DataTypes.createStructField("k_dec", DataTypes.createDecimalType(10, 2), true),
          DataTypes.createStructField("k_date", DataTypes.DateType, true),
          DataTypes.createStructField("k_dbl", DataTypes.DoubleType, true),
          DataTypes.createStructField("v", DataTypes.IntegerType, true),
          DataTypes.createStructField("s", DataTypes.StringType, true),
        });
  }

  /**
   * Rows whose keys repeat (about {@value #KEYS} distinct values per key column, so both sides have
   * duplicates), with about one NULL key in twenty; doubles include NaN, -0.0 and 0.0; the string
   * payload {@code s} is NULL in about one row in ten.
   */
  private static List<Row> rows(Random random, int count) {
    List<Row> out = new ArrayList<>();
    double[] specials = {Double.NaN, -0.0, 0.0, Double.NEGATIVE_INFINITY, -1.5};
    for (int i = 0; i < count; i++) {
      Double d;
      if (random.nextInt(20) == 0) {
        d = null;
      } else if (random.nextInt(4) == 0) {
        d = specials[random.nextInt(specials.length)];
      } else {
        d = random.nextInt(KEYS) / 4.0;
      }
      out.add(
          RowFactory.create(
              random.nextInt(20) == 0 ? null : random.nextInt(KEYS) - KEYS / 2,
              random.nextInt(20) == 0 ? null : random.nextInt(KEYS) * 1_000_000_007L,
              random.nextInt(20) == 0 ? null : "key-" + random.nextInt(KEYS),
              random.nextInt(20) == 0
                  ? null
                  : BigDecimal.valueOf(random.nextInt(KEYS) * 100L - 20_000 + 25, 2),
              random.nextInt(20) == 0
                  ? null
                  : Date.valueOf(LocalDate.of(1969, 12, 1).plusDays(random.nextInt(KEYS))),
              d,
              random.nextInt(10) == 0 ? null : random.nextInt(100),
              random.nextInt(10) == 0 ? null : "s" + random.nextInt(30) + "-é"));
    }
    return out;
  }

  private static Row row(int key, int v, String s) {
    return RowFactory.create(
        key,
        (long) key,
        "key-" + key,
        BigDecimal.valueOf(key * 100L, 2),
        Date.valueOf(LocalDate.of(2020, 1, 1).plusDays(key)),
        key / 2.0,
        v,
        s);
  }
}
