package dev.trueno.it;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.trueno.benchmarks.tpch.TpchDataGenerator;
import dev.trueno.benchmarks.tpch.TpchQueries;
import dev.trueno.spark.exec.Backends;
import dev.trueno.spark.exec.TruenoHashJoinExec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The 22 TPC-H queries at {@link TpchDifferentialTest}'s scale with {@code
 * spark.trueno.backend=GPU}: the same rows as vanilla Spark, accelerated aggregates and joins, and
 * every Trueno join on the GPU exactly when the GPU backend supports its plan, else showing the
 * GPU's reason ({@link GpuJoinDifferentialTest#ranWhereTheGpuSaid}).
 *
 * <p>Skipped with the reason where no GPU can be used; a failure under {@code
 * -Dtrueno.requireGpu=true}.
 */
@Tag("gpu")
class GpuTpchDifferentialTest {
  private static DifferentialHarness harness;

  /**
   * The queries, or without a GPU one test that is skipped with the reason (surefire reports an
   * aborted class or test factory as no test at all, which would hide the skip).
   */
  @TestFactory
  Stream<DynamicTest> tpchOnTheGpu() {
    String unavailable = Backends.gpuUnavailableReason();
    if (unavailable != null) {
      return Stream.of(
          dynamicTest(
              "TPC-H on the GPU",
              () -> {
                if (Boolean.getBoolean("trueno.requireGpu")) {
                  fail("trueno.requireGpu is set but " + unavailable);
                }
                Assumptions.abort(unavailable);
              }));
    }
    // Generated once per build directory; the generator reuses a complete dataset.
    double scale = TpchDifferentialTest.SCALE;
    Path data = Path.of("target", "tpch", "sf" + TpchDataGenerator.formatScaleFactor(scale));
    try {
      new TpchDataGenerator(scale, new PrintStream(System.out, true)).ensureGenerated(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TpchQueries.registerTables(SharedSpark.get(), data);
    harness = new DifferentialHarness(SharedSpark.get(), 0L).requireTruenoScans();
    return IntStream.rangeClosed(1, TpchQueries.QUERY_COUNT)
        .mapToObj(
            q ->
                dynamicTest(
                    "TPC-H Q" + q + " on GPU",
                    () -> {
                      DifferentialHarness.Check check =
                          harness
                              .sql("TPC-H Q" + q + " on GPU", TpchQueries.sql(q))
                              .conf("spark.trueno.backend", "GPU")
                              .accelerated()
                              .truenoScan()
                              .checkPlan(GpuJoinDifferentialTest::ranWhereTheGpuSaid);
                      if (!TpchDifferentialTest.WITHOUT_JOINS.contains(q)) {
                        check.joinsAccelerated();
                      }
                      check.run();
                    }));
  }

  @AfterAll
  static void closeBroadcastBuilds() {
    if (harness != null) {
      TruenoHashJoinExec.closeIdleBroadcastBuilds();
    }
  }
}
