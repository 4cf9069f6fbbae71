package dev.trueno.core.cost;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Decides per operator instance whether the GPU is worth it, by the 5x rule of the architecture:
 * offload only when a GPU is usable, the input is at least {@code spark.trueno.gpu.minBytes}, and
 * the estimated CPU compute time exceeds {@code spark.trueno.costModel.transferFactor} (5) times
 * the estimated transfer time.
 *
 * <p>Why transfer and not GPU compute: on a PCIe-attached GPU the copy, not the kernel, dominates
 * for the streaming operators Trueno runs, so a GPU only wins when the CPU would take several times
 * longer than merely moving the bytes. The factor leaves room for the kernel, launch overheads and
 * estimate error; the minimum size keeps small inputs, where fixed costs dominate, on the CPU.
 * Transfer counts only the host-to-device bytes not already resident on the device plus the result
 * copied back, at the bandwidths of this machine's {@link HardwareProfile}.
 *
 * <p>Instances are immutable and thread-safe; the decision is a pure function of the profile, the
 * two constants and the estimate.
 */
public final class CostModel {

  /** Config key of {@link #minBytes()}. */
  public static final String MIN_BYTES_KEY = "spark.trueno.gpu.minBytes";

  /** Config key of {@link #transferFactor()}. */
  public static final String TRANSFER_FACTOR_KEY = "spark.trueno.costModel.transferFactor";

  /** Default of {@link #minBytes()}: 10 MiB. */
  public static final long DEFAULT_MIN_BYTES = 10L << 20;

  /** Default of {@link #transferFactor()}: the 5 of the 5x rule. */
  public static final double DEFAULT_TRANSFER_FACTOR = 5.0;

  private final HardwareProfile profile;
  private final long minBytes;
  private final double transferFactor;

  /** A model with the default minimum size and transfer factor. */
  public CostModel(HardwareProfile profile) {
    this(profile, DEFAULT_MIN_BYTES, DEFAULT_TRANSFER_FACTOR);
  }

  /**
   * A model with the given constants.
   *
   * @param minBytes smallest input (bytes) that may go to the GPU; {@code >= 0}
   * @param transferFactor how many times the transfer time the CPU time must exceed; positive and
   *     finite
   * @throws TruenoException with {@link ErrorCode#INVALID_CONFIG} naming the config key
   */
  public CostModel(HardwareProfile profile, long minBytes, double transferFactor) {
    this.profile = Objects.requireNonNull(profile, "profile");
    if (minBytes < 0) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG, MIN_BYTES_KEY + " must be >= 0 bytes, was " + minBytes);
    }
    if (!(transferFactor > 0) || Double.isInfinite(transferFactor)) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          TRANSFER_FACTOR_KEY + " must be a positive finite number, was " + transferFactor);
    }
    this.minBytes = minBytes;
    this.transferFactor = transferFactor;
  }

  /** The profile whose figures this model uses. */
  public HardwareProfile profile() {
    return profile;
  }

  /** The smallest input that may go to the GPU ({@value #MIN_BYTES_KEY}). */
  public long minBytes() {
    return minBytes;
  }

  /** How many times the transfer time the CPU time must exceed ({@value #TRANSFER_FACTOR_KEY}). */
  public double transferFactor() {
    return transferFactor;
  }

  /**
   * Chooses the GPU or {@code cpu} for one operator instance: GPU if and only if a GPU is usable,
   * {@code inputBytes >= minBytes}, and {@code cpuSeconds > transferFactor x transferSeconds}. The
   * figures are computed in every case, so a CPU decision still shows what the GPU would have cost.
   */
  public Decision decide(OperatorEstimate estimate, CpuBackend cpu) {
    Objects.requireNonNull(estimate, "estimate");
    return decide(List.of(estimate), cpu);
  }

  /**
   * Chooses the GPU or {@code cpu} for an operator instance made of several phases priced at their
   * own throughputs (a join: its build, then its probe). The rule is the one of {@link
   * #decide(OperatorEstimate, CpuBackend)} over the sums: input, bytes moved, result, CPU seconds
   * and transfer seconds each add up over the phases. The decision's kind is the first phase's.
   *
   * @param phases at least one estimate
   */
  public Decision decide(List<OperatorEstimate> phases, CpuBackend cpu) {
    Objects.requireNonNull(phases, "phases");
    Objects.requireNonNull(cpu, "cpu");
    if (phases.isEmpty()) {
      throw new IllegalArgumentException("an operator needs at least one phase to price");
    }
    OperatorKind kind = phases.get(0).kind();
    long input = 0;
    long moved = 0;
    long result = 0;
    long pinnedMoved = 0;
    double cpuSeconds = 0;
    double transferSeconds = 0;
    double gpuSeconds = 0;
    for (OperatorEstimate estimate : phases) {
      Objects.requireNonNull(estimate, "phase");
      input += estimate.inputBytes();
      moved += estimate.bytesToMove();
      result += estimate.resultBytes();
      pinnedMoved += estimate.pinnedInput() ? estimate.bytesToMove() : 0;
      cpuSeconds += estimate.inputBytes() / profile.cpuBytesPerSecond(cpu, estimate.kind());
      transferSeconds +=
          estimate.bytesToMove() / profile.h2dBytesPerSecond(estimate.pinnedInput())
              + estimate.resultBytes() / profile.d2hBytesPerSecond();
      gpuSeconds += estimate.inputBytes() / profile.gpuBytesPerSecond(estimate.kind());
    }
    // The host-to-device bandwidth shown: the one of the bytes moved (pinned when most were).
    boolean pinned = pinnedMoved * 2 > moved || (moved == 0 && phases.get(0).pinnedInput());
    double h2d = profile.h2dBytesPerSecond(pinned);
    double ratio =
        transferSeconds > 0
            ? cpuSeconds / transferSeconds
            : (cpuSeconds > 0 ? Double.POSITIVE_INFINITY : 0);

    String cpuName = cpu.choice().label();
    BackendChoice backend;
    String explain;
    if (!profile.gpuUsable()) {
      backend = cpu.choice();
      explain = cpuName + ": no usable GPU (" + profile.gpuUnavailableReason() + ")";
    } else if (input < minBytes) {
      backend = cpu.choice();
      explain = cpuName + ": input " + bytes(input) + " < " + MIN_BYTES_KEY + " " + bytes(minBytes);
    } else {
      // The rule's own comparison, written once so the explanation cannot disagree with it.
      boolean offload = cpuSeconds > transferFactor * transferSeconds;
      backend = offload ? BackendChoice.GPU : cpu.choice();
      String detail =
          "(moved "
              + bytes(moved)
              + " at "
              + bandwidth(h2d)
              + (pinned ? " pinned" : " pageable")
              + ", result "
              + bytes(result)
              + ")";
      // A GPU line names the CPU backend it beat; a CPU line names the key of the factor it missed.
      explain =
          backend.label()
              + ": "
              + (offload ? cpuName : "cpu")
              + " "
              + seconds(cpuSeconds)
              + (offload ? " > " : " <= " + TRANSFER_FACTOR_KEY + " ")
              + String.format(Locale.ROOT, "%.1f", transferFactor)
              + " x transfer "
              + seconds(transferSeconds)
              + " "
              + detail;
    }
    return new Decision(
        backend,
        kind,
        input,
        moved,
        result,
        cpuSeconds,
        transferSeconds,
        gpuSeconds,
        ratio,
        h2d,
        explain);
  }

  /** Describes the model's constants and figures' source, for the executor's start-up log. */
  @Override
  public String toString() {
    return "CostModel["
        + MIN_BYTES_KEY
        + "="
        + bytes(minBytes)
        + ", "
        + TRANSFER_FACTOR_KEY
        + "="
        + transferFactor
        + ", profile source="
        + profile.source()
        + (profile.gpuUsable() ? "" : ", no usable GPU: " + profile.gpuUnavailableReason())
        + "]";
  }

  /** Binary units, with one decimal unless the figure is whole: {@code 3.1 MiB}, {@code 8 MiB}. */
  static String bytes(long n) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int unit = 0;
    double value = n;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    if (value == Math.rint(value)) {
      return String.format(Locale.ROOT, "%d %s", (long) value, units[unit]);
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  /** Decimal GB/s, as bandwidths are usually quoted. */
  static String bandwidth(double bytesPerSecond) {
    return String.format(Locale.ROOT, "%.1f GB/s", bytesPerSecond / 1e9);
  }

  /** Seconds with a unit that keeps two significant decimals readable. */
  static String seconds(double s) {
    if (s >= 1 || s == 0) {
      return String.format(Locale.ROOT, "%.2f s", s);
    }
    if (s >= 1e-3) {
      return String.format(Locale.ROOT, "%.2f ms", s * 1e3);
    }
    return String.format(Locale.ROOT, "%.2f us", s * 1e6);
  }
}
