package dev.trueno.it;

import static org.assertj.core.api.Assertions.fail;

import dev.trueno.gpu.GpuBackend;
import dev.trueno.spark.exec.Backends;
import dev.trueno.spark.exec.TruenoHashAggregateExec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregation corpus ({@link AggregationCorpusTest}) with {@code spark.trueno.backend=GPU}:
 * every query must give vanilla Spark's answer and meet the corpus's plan expectations, and every
 * {@code TruenoHashAggregate} must run on the GPU exactly when {@link GpuBackend} supports its plan
 * (its explain line says {@code backend=gpu}); otherwise it must carry the GPU's reason ({@code
 * backend=simd (not on the GPU: <reason>)}). So a silent fallback to the CPU fails, and so does a
 * plan that the GPU claims but does not get.
 *
 * <p>Skipped with the reason where no GPU can be used; a failure under {@code
 * -Dtrueno.requireGpu=true}. After the run it prints one line starting with {@value #SUMMARY}.
 */
@Tag("gpu")
class GpuAggregationCorpusTest {
  static final String SUMMARY = "GPU corpus summary:";

  @TempDir static Path dir;
  private static DifferentialHarness harness;

  // Tallies for the summary line; dynamic tests of one class run one after another.
  private static final AtomicInteger queries = new AtomicInteger();
  private static final AtomicInteger allOnGpu = new AtomicInteger();
  private static final AtomicInteger partlyOnGpu = new AtomicInteger();
  private static final AtomicInteger noneOnGpu = new AtomicInteger();
  private static final AtomicInteger noTruenoNode = new AtomicInteger();
  private static final AtomicInteger nodesOnGpu = new AtomicInteger();
  private static final Map<String, Integer> reasons = new TreeMap<>();

  /**
   * The corpus's queries, or without a GPU one test that is skipped with the reason (surefire
   * reports an aborted class or test factory as no test at all, which would hide the skip).
   */
  @TestFactory
  Stream<DynamicTest> corpusOnTheGpu() {
    String unavailable = Backends.gpuUnavailableReason();
    if (unavailable != null) {
      return Stream.of(
          DynamicTest.dynamicTest(
              "corpus on the GPU",
              () -> {
                if (Boolean.getBoolean("trueno.requireGpu")) {
                  fail("trueno.requireGpu is set but " + unavailable);
                }
                Assumptions.abort(unavailable);
              }));
    }
    harness = new DifferentialHarness(SharedSpark.get(), AggregationCorpusTest.SEED);
    AggregationData.register(harness.spark(), AggregationCorpusTest.SEED, dir);
    return AggregationCorpusTest.tests(
        harness,
        check ->
            check
                .conf("spark.trueno.backend", "GPU")
                .checkTruenoNodes(GpuAggregationCorpusTest::ranWhereTheGpuSaid))
        .stream();
  }

  /**
   * What is wrong with where these nodes ran, or null; tallies them for the summary.
   *
   * <p>The expectation is computed here from {@link GpuBackend#unsupportedReason}, independently of
   * the rule that placed the nodes; this JVM has a usable GPU (checked before the class).
   */
  static String ranWhereTheGpuSaid(List<TruenoHashAggregateExec> nodes) {
    GpuBackend gpu = new GpuBackend();
    int onGpu = 0;
    for (TruenoHashAggregateExec n : nodes) {
      String expected = gpu.unsupportedReason(n.plan());
      String explain = n.simpleString(25);
      if (expected == null) {
        if (n.backend() != Backends.Choice.GPU || !explain.contains("backend=gpu")) {
          return "the GPU backend supports this "
              + n.plan().mode()
              + " aggregate, but it ran on "
              + n.backend().label()
              + ": "
              + explain;
        }
        onGpu++;
      } else {
        String shown = "backend=" + n.backend().label() + " (not on the GPU: " + expected + ")";
        if (n.backend() == Backends.Choice.GPU
            || !expected.equals(n.gpuFallbackReason())
            || !explain.contains(shown)) {
          return "the GPU backend does not support this "
              + n.plan().mode()
              + " aggregate ("
              + expected
              + "), so its explain line should show '"
              + shown
              + "', but it is: "
              + explain;
        }
      }
    }
    queries.incrementAndGet();
    nodesOnGpu.addAndGet(onGpu);
    for (TruenoHashAggregateExec n : nodes) {
      if (n.gpuFallbackReason() != null) {
        reasons.merge(n.gpuFallbackReason(), 1, Integer::sum);
      }
    }
    if (nodes.isEmpty()) {
      noTruenoNode.incrementAndGet();
    } else if (onGpu == nodes.size()) {
      allOnGpu.incrementAndGet();
    } else if (onGpu > 0) {
      partlyOnGpu.incrementAndGet();
    } else {
      noneOnGpu.incrementAndGet();
    }
    return null;
  }

  @AfterAll
  static void printSummary() {
    if (harness == null) {
      return; // skipped: no GPU
    }
    int offGpu = reasons.values().stream().mapToInt(Integer::intValue).sum();
    System.out.println(
        SUMMARY
            + " "
            + queries.get()
            + " query runs checked: "
            + allOnGpu.get()
            + " with every Trueno aggregate on the GPU, "
            + partlyOnGpu.get()
            + " partly on the GPU, "
            + noneOnGpu.get()
            + " with none on the GPU, "
            + noTruenoNode.get()
            + " without Trueno aggregates; aggregates: "
            + nodesOnGpu.get()
            + " on the GPU, "
            + offGpu
            + " on the CPU with the GPU's reason");
    System.out.println(
        SUMMARY
            + " reasons: "
            + reasons.entrySet().stream()
                .map(e -> e.getValue() + "x " + e.getKey())
                .collect(Collectors.joining("; ")));
  }
}
