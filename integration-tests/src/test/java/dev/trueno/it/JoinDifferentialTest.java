package dev.trueno.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.trueno.spark.exec.ArrowMemory;
import dev.trueno.spark.exec.Backends;
import dev.trueno.spark.exec.TruenoHashJoinExec;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.joins.BroadcastHashJoinExec;
import org.apache.spark.sql.execution.joins.ShuffledHashJoinExec;
import org.apache.spark.sql.execution.joins.SortMergeJoinExec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hash joins on vanilla Spark and on Trueno over seeded Parquet tables: every join type, key type
 * and way Spark plans an equi-join (broadcast, shuffled hash, sort merge), with and without an
 * extra condition, null-safe keys, NULL, NaN and -0.0 keys, many-to-many and skewed keys, empty
 * sides, with adaptive execution on and off. Each check asserts that a {@code TruenoHashJoinExec}
 * ran in place of the intended Spark join (a silent fallback fails) and that the rows match.
 *
 * <p>The data seed is {@code -Dtrueno.it.seed} (default 20240601) and is printed with every
 * failure.
 */
class JoinDifferentialTest {
  static final long SEED = Long.getLong("trueno.it.seed", 20240601L);
  private static final String AQE = "spark.sql.adaptive.enabled";
  private static final String BROADCAST_THRESHOLD = "spark.sql.autoBroadcastJoinThreshold";
  private static final int LEFT_ROWS = 1200;
  private static final int RIGHT_ROWS = 800;
  private static final int KEYS = 150;

  @TempDir static Path dir;
  private static DifferentialHarness harness;

  /** How the test makes Spark plan the join. */
  enum Planning {
    BROADCAST("BROADCAST", BroadcastHashJoinExec.class),
    SHUFFLE_HASH("SHUFFLE_HASH", ShuffledHashJoinExec.class),
    SORT_MERGE("MERGE", SortMergeJoinExec.class);

    final String hint;
    final Class<? extends SparkPlan> sparkNode;

    Planning(String hint, Class<? extends SparkPlan> sparkNode) {
      this.hint = hint;
      this.sparkNode = sparkNode;
    }
  }

  /** A join type as SQL writes it. */
  enum Type {
    INNER("JOIN"),
    LEFT("LEFT JOIN"),
    RIGHT("RIGHT JOIN"),
    FULL("FULL JOIN"),
    SEMI("LEFT SEMI JOIN"),
    ANTI("LEFT ANTI JOIN"),
    EXISTENCE(null);

    final String sql;

    Type(String sql) {
      this.sql = sql;
    }

    /** The side Spark may build on (the one whose rows need not all be kept). */
    String buildAlias() {
      return this == RIGHT ? "l" : "r";
    }
  }

  private static final List<String> KEY_COLUMNS =
      List.of("k_int", "k_long", "k_str", "k_dec", "k_date", "k_dbl");

  @BeforeAll
  static void writeTables() {
    harness = new DifferentialHarness(SharedSpark.get(), SEED).requireTruenoScans();
    SparkSession spark = harness.spark();
    register(spark, "jl", rows(new Random(SEED), LEFT_ROWS));
    register(spark, "jr", rows(new Random(SEED + 1), RIGHT_ROWS));
    register(spark, "je", List.of());
    // One key with 1000 x 1000 matches: a million joined rows from two small tables.
    List<Row> skew = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      skew.add(row(7, i, "skew-" + i, 0.5));
    }
    for (int i = 0; i < 200; i++) {
      skew.add(row(i, i, "other-" + i, 1.5));
    }
    register(spark, "js", skew);
  }

  @AfterAll
  static void nothingLeftAllocated() {
    TruenoHashJoinExec.closeIdleBroadcastBuilds();
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
          DataTypes.createStructField("k_dec", DataTypes.createDecimalType(12, 2), true),
          DataTypes.createStructField("k_date", DataTypes.DateType, true),
          DataTypes.createStructField("k_dbl", DataTypes.DoubleType, true),
          DataTypes.createStructField("v", DataTypes.IntegerType, true),
          DataTypes.createStructField("s", DataTypes.StringType, true),
        });
  }

  /**
   * Rows whose keys repeat (about {@value #KEYS} distinct values per key column, so both sides have
   * duplicates), with about one NULL key in twenty; doubles include NaN, -0.0 and 0.0.
   */
  private static List<Row> rows(Random random, int count) {
    List<Row> out = new ArrayList<>();
    double[] specials = {Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY, -1.5};
    for (int i = 0; i < count; i++) {
      Integer k = random.nextInt(20) == 0 ? null : random.nextInt(KEYS);
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
              k,
              random.nextInt(20) == 0 ? null : random.nextInt(KEYS) * 1_000_000_007L,
              random.nextInt(20) == 0 ? null : "key-" + random.nextInt(KEYS),
              random.nextInt(20) == 0
                  ? null
                  : BigDecimal.valueOf(random.nextInt(KEYS) * 100L + 25, 2),
              random.nextInt(20) == 0
                  ? null
                  : Date.valueOf(LocalDate.of(2020, 1, 1).plusDays(random.nextInt(KEYS))),
              d,
              random.nextInt(10) == 0 ? null : random.nextInt(100),
              "s" + random.nextInt(30)));
    }
    return out;
  }

  private static Row row(int key, int v, String s, double d) {
    return RowFactory.create(
        key,
        (long) key,
        "key-" + key,
        BigDecimal.valueOf(key * 100L, 2),
        Date.valueOf(LocalDate.of(2020, 1, 1).plusDays(key)),
        d,
        v,
        s);
  }

  /** A join of jl and jr (or the given tables) on {@code on}, hinted for {@code planning}. */
  static String query(
      Type type, Planning planning, String leftTable, String rightTable, String on) {
    String hint = "/*+ " + planning.hint + "(" + type.buildAlias() + ") */ ";
    String from = leftTable + " l ";
    return switch (type) {
      case INNER, LEFT, RIGHT, FULL ->
          "SELECT "
              + hint
              + "l.*, r.k_int AS r_int, r.k_dbl AS r_dbl, r.v AS r_v, r.s AS r_s FROM "
              + from
              + type.sql
              + " "
              + rightTable
              + " r ON "
              + on;
      case SEMI, ANTI ->
          "SELECT " + hint + "l.* FROM " + from + type.sql + " " + rightTable + " r ON " + on;
      case EXISTENCE ->
          "SELECT "
              + hint
              + "l.* FROM "
              + from
              + "WHERE l.v < 20 OR EXISTS (SELECT 1 FROM "
              + rightTable
              + " r WHERE "
              + on
              + ")";
    };
  }

  /** A check that a Trueno join replaced the Spark join the hints ask for. */
  private static DifferentialHarness.Check check(
      String name, String sql, Type type, Planning planning) {
    DifferentialHarness.Check c =
        harness.sql(name, sql).joinsAccelerated().exactFloats().conf(BROADCAST_THRESHOLD, "-1");
    // Spark cannot broadcast a full outer join, and an existence join takes no hint.
    boolean hintHonoured =
        !(type == Type.FULL && planning == Planning.BROADCAST)
            && !(type == Type.EXISTENCE && planning != Planning.SORT_MERGE);
    if (type == Type.EXISTENCE && planning == Planning.BROADCAST) {
      c.conf(BROADCAST_THRESHOLD, "10485760");
      hintHonoured = true;
    }
    if (hintHonoured) {
      c.checkPlan(
          nodes -> {
            List<String> replaced =
                DifferentialHarness.truenoJoins(nodes).stream()
                    .map(j -> j.original().getClass().getSimpleName())
                    .toList();
            return replaced.contains(planning.sparkNode.getSimpleName())
                ? null
                : "expected a TruenoHashJoin replacing "
                    + planning.sparkNode.getSimpleName()
                    + ", found Trueno joins replacing "
                    + replaced;
          });
    }
    return c;
  }

  @TestFactory
  Stream<DynamicTest> everyJoinTypeKeyTypeAndPlanning() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Type type : Type.values()) {
      for (Planning planning : Planning.values()) {
        // Every key type where the join is shuffled; one per join type (in turn) where it is
        // broadcast or sort-merge planned: the Spark side differs by planning, the backend's key
        // handling does not, and the CI budget is small.
        List<String> keys =
            planning == Planning.SHUFFLE_HASH
                ? KEY_COLUMNS
                : List.of(
                    KEY_COLUMNS.get((type.ordinal() + planning.ordinal()) % KEY_COLUMNS.size()));
        for (String key : keys) {
          String name = type + " on " + key + " planned as " + planning;
          String sql = query(type, planning, "jl", "jr", "l." + key + " = r." + key);
          tests.add(dynamicTest(name, () -> check(name, sql, type, planning).run()));
        }
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> extraConditionsAndSeveralKeys() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Type type : Type.values()) {
      for (Planning planning : List.of(Planning.SHUFFLE_HASH, Planning.SORT_MERGE)) {
        String cond = "l.k_int = r.k_int AND l.v + r.v > 60";
        String name = type + " with a non-equi condition planned as " + planning;
        tests.add(
            dynamicTest(
                name,
                () -> check(name, query(type, planning, "jl", "jr", cond), type, planning).run()));
        if (planning != Planning.SHUFFLE_HASH) {
          continue;
        }
        String keys = "l.k_str = r.k_str AND l.k_date = r.k_date AND l.s <> r.s";
        String name2 = type + " on two keys and a string condition planned as " + planning;
        tests.add(
            dynamicTest(
                name2,
                () -> check(name2, query(type, planning, "jl", "jr", keys), type, planning).run()));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> nullSafeKeys() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Type type : List.of(Type.INNER, Type.LEFT, Type.FULL, Type.ANTI)) {
      for (Planning planning : List.of(Planning.BROADCAST, Planning.SORT_MERGE)) {
        String name = type + " on null-safe keys planned as " + planning;
        String sql =
            query(type, planning, "jl", "jr", "l.k_int <=> r.k_int AND l.k_dbl <=> r.k_dbl");
        tests.add(dynamicTest(name, () -> check(name, sql, type, planning).run()));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> withoutAdaptiveExecution() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Type type : Type.values()) {
      for (Planning planning : List.of(Planning.BROADCAST, Planning.SORT_MERGE)) {
        String name = type + " planned as " + planning + " without AQE";
        String sql = query(type, planning, "jl", "jr", "l.k_long = r.k_long");
        tests.add(
            dynamicTest(name, () -> check(name, sql, type, planning).conf(AQE, "false").run()));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> emptySides() {
    // Without AQE: adaptive execution would replace a join with an empty side by an empty relation.
    List<DynamicTest> tests = new ArrayList<>();
    for (Type type : Type.values()) {
      Planning planning = type == Type.FULL ? Planning.SHUFFLE_HASH : Planning.BROADCAST;
      for (String[] tables : new String[][] {{"je", "jr"}, {"jl", "je"}}) {
        String name = type + " of " + tables[0] + " and " + tables[1] + " planned as " + planning;
        String sql = query(type, planning, tables[0], tables[1], "l.k_int = r.k_int");
        tests.add(
            dynamicTest(name, () -> check(name, sql, type, planning).conf(AQE, "false").run()));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> oneKeyWithAMillionMatches() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Type type : List.of(Type.INNER, Type.FULL)) {
      for (Planning planning : List.of(Planning.SHUFFLE_HASH, Planning.SORT_MERGE)) {
        String name = type + " of a skewed key planned as " + planning;
        String hint = "/*+ " + planning.hint + "(r) */ ";
        String sql =
            "SELECT "
                + hint
                + "count(*), count(r.v), sum(l.v), sum(r.v), max(l.s), min(r.s) FROM js l "
                + type.sql
                + " js r ON l.k_int = r.k_int";
        tests.add(dynamicTest(name, () -> check(name, sql, type, planning).run()));
      }
    }
    return tests.stream();
  }

  @Test
  void sortMergeJoinWhoseOrderIsReliedOnStaysOnSpark() {
    // The window needs its input sorted by k_int; the sort-merge join's output already is, so
    // Spark adds no sort, and replacing the join by a hash join would break the window.
    harness
        .sql(
            "window over a sort-merge join",
            "SELECT /*+ MERGE(r) */ l.k_int, l.v, count(*) OVER (PARTITION BY l.k_int) AS c"
                + " FROM jl l JOIN jr r ON l.k_int = r.k_int")
        .conf(BROADCAST_THRESHOLD, "-1")
        .fallback("relies on the join's output ordering")
        .run();
  }

  @Test
  void aBroadcastJoinPassingOnAnOrderTheWindowAboveNeedsStaysOnSpark() {
    // The broadcast join keeps the order of its streamed side (a sort-merge join on k_int), and
    // the window relies on it through the broadcast join: neither join may lose it.
    harness
        .sql(
            "window over a broadcast join over a sort-merge join",
            "SELECT a.k_int, a.v, count(*) OVER (PARTITION BY a.k_int) AS c FROM"
                + " (SELECT /*+ MERGE(r) */ l.k_int, l.v FROM jl l JOIN jr r"
                + " ON l.k_int = r.k_int) a"
                + " JOIN (SELECT DISTINCT v FROM jr WHERE v < 50) b ON a.v = b.v")
        .checkPlan(
            nodes ->
                nodes.stream().anyMatch(n -> n instanceof BroadcastHashJoinExec)
                    ? null
                    : "expected the broadcast join to stay on Spark")
        .fallback("relies on the join's output ordering")
        .run();
  }

  @Test
  void nullAwareAntiJoinStaysOnSparkWithTheReason() {
    harness
        .sql(
            "NOT IN subquery",
            "SELECT * FROM jl l WHERE l.k_int NOT IN (SELECT r.k_int FROM jr r WHERE r.v < 50)")
        .conf(BROADCAST_THRESHOLD, "10485760")
        // Adaptive execution would replace the join by an empty relation: the build side has a
        // NULL key, which empties a NOT IN.
        .conf(AQE, "false")
        .fallback("null-aware anti join")
        .run();
  }

  @Test
  void joinsAreLeftToSparkWhenDisabled() {
    harness
        .sql(
            "spark.trueno.join.enabled=false",
            "SELECT /*+ SHUFFLE_HASH(r) */ l.k_int, r.v FROM jl l JOIN jr r ON l.k_int = r.k_int")
        .conf(BROADCAST_THRESHOLD, "-1")
        .conf("spark.trueno.join.enabled", "false")
        .fallback("spark.trueno.join.enabled is false")
        .run();
  }

  /** The spill folders of Trueno joins under Spark's local directory. */
  private static List<String> spillFolders() {
    java.io.File local =
        new java.io.File(
            org.apache.spark.util.Utils.getLocalDir(harness.spark().sparkContext().getConf()));
    String[] names = local.list((d, n) -> n.startsWith("trueno-join-"));
    return names == null ? List.of() : List.of(names);
  }

  @TestFactory
  Stream<DynamicTest> aBuildSideOverItsBudgetIsJoinedPartByPartFromDisk() {
    // 8k holds a few dozen build rows: each task's build side (about 200 rows) is split into
    // parts on disk, joined one at a time.
    List<DynamicTest> tests = new ArrayList<>();
    for (Type type : Type.values()) {
      Planning planning = type == Type.EXISTENCE ? Planning.SORT_MERGE : Planning.SHUFFLE_HASH;
      String name = type + " with a build side over its budget, planned as " + planning;
      String sql = query(type, planning, "jl", "jr", "l.k_str = r.k_str");
      tests.add(
          dynamicTest(
              name,
              () -> {
                List<String> before = spillFolders();
                check(name, sql, type, planning)
                    .conf("spark.trueno.join.buildMemoryBytes", "8k")
                    .checkPlan(
                        nodes ->
                            DifferentialHarness.truenoJoins(nodes).stream()
                                    .anyMatch(j -> j.metrics().apply("numSpilledParts").value() > 0)
                                ? null
                                : "expected a Trueno join that spilled parts to disk")
                    .run();
                assertThat(spillFolders()).isEqualTo(before);
              }));
    }
    return tests.stream();
  }

  @Test
  void aKeyTooLargeForTheBudgetEvenSplitFailsNamingTheKeyAndLeavesNothingBehind() {
    SparkSession spark = harness.spark();
    List<String> foldersBefore = spillFolders();
    // Broadcast builds of earlier checks may still be cached for tasks to come.
    TruenoHashJoinExec.closeIdleBroadcastBuilds();
    long before = ArrowMemory.allocatedBytes();
    spark.conf().set("spark.trueno.join.buildMemoryBytes", "8k");
    spark.conf().set(BROADCAST_THRESHOLD, "-1");
    try {
      // Key 7 has 1000 rows on the build side: no split by key hash makes that part smaller.
      assertThatThrownBy(
              () ->
                  spark
                      .sql(
                          "SELECT /*+ SHUFFLE_HASH(r) */ count(*) FROM js l JOIN js r"
                              + " ON l.k_int = r.k_int")
                      .collectAsList())
          .hasStackTraceContaining("spark.trueno.join.buildMemoryBytes=8192")
          .hasStackTraceContaining("parts on disk");
    } finally {
      spark.conf().unset("spark.trueno.join.buildMemoryBytes");
      spark.conf().unset(BROADCAST_THRESHOLD);
    }
    TruenoHashJoinExec.closeIdleBroadcastBuilds();
    assertThat(ArrowMemory.allocatedBytes()).isEqualTo(before);
    assertThat(spillFolders()).isEqualTo(foldersBefore);
  }

  @Test
  void aJoinOnAnUnsupportedKeyExpressionStaysOnSparkWithTheReason() {
    harness
        .sql(
            "upper() in a join key",
            "SELECT /*+ SHUFFLE_HASH(r) */ l.k_str, r.v FROM jl l JOIN jr r"
                + " ON upper(l.k_str) = upper(r.k_str)")
        .conf(BROADCAST_THRESHOLD, "-1")
        .fallback("expression upper")
        .run();
  }

  @Test
  void aJoinAskedOnTheGpuThatTheGpuRefusesShowsWhyItRunsOnTheCpu() {
    // A string key: the GPU compares no strings, so this join runs on the CPU on every machine
    // (without a usable GPU the reason is that; with one, it is the string key).
    String unavailable = Backends.gpuUnavailableReason();
    String expected =
        unavailable != null ? "the GPU backend is unavailable: " : "string join keys are not on";
    harness
        .sql(
            "spark.trueno.backend=GPU, string key",
            "SELECT /*+ SHUFFLE_HASH(r) */ l.k_str, r.v FROM jl l JOIN jr r ON l.k_str = r.k_str")
        .conf(BROADCAST_THRESHOLD, "-1")
        .conf("spark.trueno.backend", "GPU")
        .joinsAccelerated()
        .checkPlan(
            nodes ->
                DifferentialHarness.truenoJoins(nodes).stream()
                        .allMatch(
                            j ->
                                j.backend() != Backends.Choice.GPU
                                    && j.gpuFallbackReason() != null
                                    && j.gpuFallbackReason().startsWith(expected)
                                    && j.simpleString(100).contains("(not on the GPU: " + expected))
                    ? null
                    : "expected every Trueno join to show why it is not on the GPU: " + expected)
        .run();
  }

  @Test
  void aJoinOnFiveKeysRunsOnTheScalarBackendAndSaysWhyNotOnSimd() {
    harness
        .sql(
            "five keys: scalar instead of simd",
            "SELECT /*+ SHUFFLE_HASH(b) */ a.k_int, a.v, b.k_str FROM jl a JOIN jl b"
                + " ON a.k_int = b.k_int AND a.k_long = b.k_long AND a.k_str = b.k_str"
                + " AND a.k_dec = b.k_dec AND a.k_date = b.k_date")
        .conf(BROADCAST_THRESHOLD, "-1")
        .joinsAccelerated()
        .checkPlan(
            nodes ->
                DifferentialHarness.truenoJoins(nodes).stream()
                        .allMatch(
                            j ->
                                j.backend() == Backends.Choice.SCALAR
                                    && j.simpleString(100)
                                        .contains(
                                            "backend=scalar (not on SIMD: the simd join hash table"
                                                + " takes 1 to 4 keys, this join has 5)"))
                    ? null
                    : "expected every Trueno join on the scalar backend, saying why not SIMD")
        .run();
  }

  @Test
  void explainShowsTheJoinTypeBuildSideKeysAndBackend() {
    SparkSession spark = harness.spark();
    spark.conf().set(BROADCAST_THRESHOLD, "-1");
    try {
      var df =
          spark.sql(
              "SELECT /*+ SHUFFLE_HASH(r) */ l.k_int, r.v FROM jl l LEFT JOIN jr r"
                  + " ON l.k_int = r.k_int");
      df.collectAsList();
      String plan = df.queryExecution().executedPlan().toString().toLowerCase(Locale.ROOT);
      assertThat(plan).contains("truenohashjoin [type=left_outer, build=right (shuffled)");
      assertThat(plan).contains("backend=");
      assertThat(plan).contains("keys=[k_int");
    } finally {
      spark.conf().unset(BROADCAST_THRESHOLD);
    }
  }
}
