package dev.trueno.simd.calibration;

import dev.trueno.core.backend.Backend;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.simd.vector.VectorBackend;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Measures the CPU backends' throughput per {@link OperatorKind} on the calling thread (one thread,
 * as one Spark task runs), on the {@link CalibrationWorkload}: the SIMD backend ({@link
 * VectorBackend}) and the scalar reference ({@link ScalarBackend}).
 *
 * <p>Each figure is the best of the runs that fit in a short time budget per kind ({@value
 * #SIMD_BUDGET_MILLIS} ms for SIMD, {@value #SCALAR_BUDGET_MILLIS} ms for scalar), on 1 MiB per
 * column for SIMD and 256 KiB for scalar (which works row at a time over boxed values). At executor
 * start the JIT is cold: the Vector API code runs tens of times slower until C2 has compiled it,
 * which on a few cores takes hundreds of milliseconds. Repeating small runs within the budget lets
 * that happen and keeps the best run; on a machine with few cores the SIMD figures can still come
 * out below their steady state, which errs towards the GPU, and every figure can be overridden by
 * configuration.
 */
public final class CpuCalibration {
  /** Rows per SIMD run: 1 MiB of one bigint column. */
  static final int SIMD_ROWS = 1 << 17;

  /** Rows per scalar run. */
  static final int SCALAR_ROWS = 1 << 15;

  /** Time budget per kind for the SIMD backend. */
  static final long SIMD_BUDGET_MILLIS = 150;

  /** Time budget per kind for the scalar backend. */
  static final long SCALAR_BUDGET_MILLIS = 50;

  /** Runs per figure, whatever the budget. */
  static final int MIN_RUNS = 2;

  private CpuCalibration() {}

  /**
   * The CPU figures of one calibration.
   *
   * @param simdBytesPerSecond the SIMD backend's throughput per kind; the scalar figures when the
   *     Vector API is not available in this JVM ({@link #simdUnavailableReason} says so), because
   *     the scalar backend is then what runs as "the CPU"
   * @param scalarBytesPerSecond the scalar backend's throughput per kind
   * @param simdUnavailableReason why the SIMD backend could not run here, or null when it ran
   * @param elapsedNanos the wall time of the whole CPU calibration
   */
  public record Result(
      Map<OperatorKind, Double> simdBytesPerSecond,
      Map<OperatorKind, Double> scalarBytesPerSecond,
      String simdUnavailableReason,
      long elapsedNanos) {
    /** Copies the maps. */
    public Result {
      simdBytesPerSecond = Collections.unmodifiableMap(new EnumMap<>(simdBytesPerSecond));
      scalarBytesPerSecond = Collections.unmodifiableMap(new EnumMap<>(scalarBytesPerSecond));
    }
  }

  /**
   * Measures both CPU backends for every operator kind, allocating the generated data from {@code
   * allocator} (which needs room for a few MiB; everything is freed before this returns).
   *
   * @throws dev.trueno.core.error.TruenoException when a backend cannot run a kind's workload
   *     (naming both) or fails running it
   */
  public static Result measure(BufferAllocator allocator) {
    long start = System.nanoTime();
    Map<OperatorKind, Double> scalar =
        measure(new ScalarBackend(), SCALAR_ROWS, SCALAR_BUDGET_MILLIS, allocator);
    VectorBackend vector = new VectorBackend();
    String simdUnavailable = vector.unavailableReason();
    Map<OperatorKind, Double> simd =
        simdUnavailable == null
            ? measure(vector, SIMD_ROWS, SIMD_BUDGET_MILLIS, allocator)
            : scalar;
    return new Result(simd, scalar, simdUnavailable, System.nanoTime() - start);
  }

  /** One backend's figure per kind, each the best run within the budget. */
  static Map<OperatorKind, Double> measure(
      Backend backend, int rows, long budgetMillis, BufferAllocator allocator) {
    CalibrationWorkload workload = new CalibrationWorkload(rows);
    Map<OperatorKind, Double> out = new EnumMap<>(OperatorKind.class);
    for (OperatorKind kind : OperatorKind.values()) {
      out.put(
          kind,
          workload.bestBytesPerSecond(
              backend, kind, allocator, MIN_RUNS, TimeUnit.MILLISECONDS.toNanos(budgetMillis)));
    }
    return out;
  }
}
