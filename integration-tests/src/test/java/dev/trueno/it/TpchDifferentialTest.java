package dev.trueno.it;

import dev.trueno.benchmarks.tpch.TpchDataGenerator;
import dev.trueno.benchmarks.tpch.TpchQueries;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The 22 TPC-H queries at scale factor 0.01: Trueno gives the same rows as vanilla Spark, and every
 * query's plan has accelerated aggregates (each query aggregates), accelerated joins (every query
 * but Q1 and Q6 joins) and reads its Parquet tables through the Trueno scan only.
 */
class TpchDifferentialTest {
  static final double SCALE = 0.01;
  private static DifferentialHarness harness;

  @BeforeAll
  static void generateAndRegister() throws IOException {
    // Generated once per build directory; the generator reuses a complete dataset.
    Path data = Path.of("target", "tpch", "sf" + TpchDataGenerator.formatScaleFactor(SCALE));
    new TpchDataGenerator(SCALE, new PrintStream(System.out, true)).ensureGenerated(data);
    TpchQueries.registerTables(SharedSpark.get(), data);
    harness = new DifferentialHarness(SharedSpark.get(), 0L).requireTruenoScans();
  }

  static Stream<Arguments> queries() {
    return Stream.of("SIMD", "SCALAR")
        .flatMap(
            backend ->
                IntStream.rangeClosed(1, TpchQueries.QUERY_COUNT)
                    .mapToObj(q -> Arguments.of(q, backend)));
  }

  /** The queries that read a single table and so have no join. */
  static final java.util.Set<Integer> WITHOUT_JOINS = java.util.Set.of(1, 6);

  @ParameterizedTest(name = "TPC-H Q{0} on {1}")
  @MethodSource("queries")
  void queryMatchesVanillaSparkWithTruenoAggregatesAndJoins(int query, String backend) {
    DifferentialHarness.Check check =
        harness
            .sql("TPC-H Q" + query + " on " + backend, TpchQueries.sql(query))
            .conf("spark.trueno.backend", backend)
            .accelerated()
            .truenoScan();
    if (!WITHOUT_JOINS.contains(query)) {
      check.joinsAccelerated();
    }
    check.run();
  }
}
