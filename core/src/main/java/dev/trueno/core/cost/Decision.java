package dev.trueno.core.cost;

import java.util.Objects;

/**
 * The cost model's choice for one operator instance and the figures behind it, so that explain
 * output, SQL metrics and the debug log can all show why an operator ran where it did.
 *
 * @param backend where the operator runs
 * @param kind the kind of work priced
 * @param inputBytes bytes of the columns the operator reads
 * @param bytesToMove input bytes not resident on the device, which must be copied there
 * @param resultBytes bytes copied back to the host
 * @param cpuSeconds estimated compute time on the CPU backend that would run it otherwise
 * @param transferSeconds estimated time to copy {@code bytesToMove} in and {@code resultBytes} out
 * @param gpuSeconds estimated GPU compute time (shown, not part of the rule)
 * @param cpuToTransferRatio {@code cpuSeconds / transferSeconds}; infinite when nothing moves and
 *     the CPU has work, zero when neither has
 * @param h2dBytesPerSecond the host-to-device bandwidth used (pinned or pageable)
 * @param explain one human-readable line, see {@link #explain()}
 */
public record Decision(
    BackendChoice backend,
    OperatorKind kind,
    long inputBytes,
    long bytesToMove,
    long resultBytes,
    double cpuSeconds,
    double transferSeconds,
    double gpuSeconds,
    double cpuToTransferRatio,
    double h2dBytesPerSecond,
    String explain) {

  /** Checks that the decision names a backend, a kind and its reason. */
  public Decision {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(explain, "explain");
  }

  /**
   * A CPU decision taken without pricing, because the rule could not run (no usable GPU on this
   * executor, calibration still running or failed): every figure but the input is zero.
   *
   * @param explain the line to show, starting with the backend, e.g. {@code simd: no usable GPU (no
   *     CUDA driver)}
   */
  public static Decision unpriced(
      BackendChoice backend, OperatorKind kind, long inputBytes, String explain) {
    return new Decision(backend, kind, inputBytes, 0, 0, 0, 0, 0, 0, 0, explain);
  }

  /** Whether the operator goes to the GPU. */
  public boolean gpu() {
    return backend == BackendChoice.GPU;
  }

  /**
   * One line that starts with the chosen backend and says which part of the rule decided, naming
   * the config key it refers to, e.g. {@code gpu: cpu 1.20 s > 5.0 x transfer 0.10 s (moved 1.2 GiB
   * at 24.5 GB/s, result 8 MiB)} or {@code simd: input 3.1 MiB < spark.trueno.gpu.minBytes 10 MiB}.
   */
  @Override
  public String explain() {
    return explain;
  }
}
