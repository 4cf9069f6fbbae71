package dev.trueno.core.cost;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The measured speeds of this machine that the 5x rule compares: copy bandwidths between host and
 * device, and per operator kind the bytes per second of the GPU, the SIMD CPU backend and the
 * scalar one.
 *
 * <p>The rule is only as good as these figures, which is why they are measured on the machine
 * (calibration at executor start, cached per GPU and driver), why every one can be overridden by
 * configuration, and why {@link #source()} says where they came from: the decision line printed
 * with every offload names the figures, and a reader must be able to tell a measurement from a
 * guess.
 *
 * <h2>Override keys</h2>
 *
 * {@link #withOverrides} accepts these stable keys (values in bytes per second), which the Spark
 * side maps from {@code spark.trueno.calibration.<key>}:
 *
 * <ul>
 *   <li>{@code h2d.pinned}, {@code h2d.pageable}, {@code d2h}
 *   <li>{@code gpu.<kind>}, {@code simd.<kind>}, {@code scalar.<kind>} where {@code <kind>} is an
 *       {@link OperatorKind#key()}: {@code reduction}, {@code filter}, {@code hashAggregate},
 *       {@code joinBuild}, {@code joinProbe}
 * </ul>
 *
 * @param h2dPinnedBytesPerSecond host-to-device bandwidth from pinned memory
 * @param h2dPageableBytesPerSecond host-to-device bandwidth from pageable memory
 * @param d2hBytesPerSecond device-to-host bandwidth
 * @param gpuBytesPerSecond GPU throughput for every operator kind
 * @param simdBytesPerSecond SIMD CPU throughput (one task's thread) for every operator kind
 * @param scalarBytesPerSecond scalar CPU throughput (one task's thread) for every operator kind
 * @param gpuUnavailableReason why no GPU can be used, or null when one can
 * @param source where the figures came from, e.g. {@code measured}, {@code cached (/tmp/x.json)},
 *     {@code configured}
 */
public record HardwareProfile(
    double h2dPinnedBytesPerSecond,
    double h2dPageableBytesPerSecond,
    double d2hBytesPerSecond,
    Map<OperatorKind, Double> gpuBytesPerSecond,
    Map<OperatorKind, Double> simdBytesPerSecond,
    Map<OperatorKind, Double> scalarBytesPerSecond,
    String gpuUnavailableReason,
    String source) {

  /** Override key of {@link #h2dPinnedBytesPerSecond()}. */
  public static final String H2D_PINNED = "h2d.pinned";

  /** Override key of {@link #h2dPageableBytesPerSecond()}. */
  public static final String H2D_PAGEABLE = "h2d.pageable";

  /** Override key of {@link #d2hBytesPerSecond()}. */
  public static final String D2H = "d2h";

  /**
   * Validates every figure (positive and finite, every kind present) and copies the maps, so a
   * profile cannot change after the model that holds it has printed it.
   *
   * @throws TruenoException with {@link ErrorCode#INVALID_CONFIG} naming the bad figure
   */
  public HardwareProfile {
    requireSpeed(H2D_PINNED, h2dPinnedBytesPerSecond);
    requireSpeed(H2D_PAGEABLE, h2dPageableBytesPerSecond);
    requireSpeed(D2H, d2hBytesPerSecond);
    gpuBytesPerSecond = copyPerKind("gpu", gpuBytesPerSecond);
    simdBytesPerSecond = copyPerKind("simd", simdBytesPerSecond);
    scalarBytesPerSecond = copyPerKind("scalar", scalarBytesPerSecond);
    if (gpuUnavailableReason != null && gpuUnavailableReason.isBlank()) {
      throw invalid("gpuUnavailableReason must say why, or be null when a GPU is usable");
    }
    if (source == null || source.isBlank()) {
      throw invalid("source must say where the figures came from (measured, cached, configured)");
    }
  }

  /** Whether a GPU can run work at all; when not, {@link #gpuUnavailableReason()} says why. */
  public boolean gpuUsable() {
    return gpuUnavailableReason == null;
  }

  /** The host-to-device bandwidth for input in pinned or pageable memory. */
  public double h2dBytesPerSecond(boolean pinned) {
    return pinned ? h2dPinnedBytesPerSecond : h2dPageableBytesPerSecond;
  }

  /** The GPU throughput for a kind of work. */
  public double gpuBytesPerSecond(OperatorKind kind) {
    return gpuBytesPerSecond.get(kind);
  }

  /** The CPU throughput of a CPU backend for a kind of work. */
  public double cpuBytesPerSecond(CpuBackend cpu, OperatorKind kind) {
    return (cpu == CpuBackend.SIMD ? simdBytesPerSecond : scalarBytesPerSecond).get(kind);
  }

  /**
   * A copy in which no GPU is usable, for the reason given (no device, calibration failed, disabled
   * by config). The figures stay, so explain output can still show what a GPU would have cost.
   */
  public HardwareProfile cpuOnly(String reason) {
    Objects.requireNonNull(reason, "reason");
    return new HardwareProfile(
        h2dPinnedBytesPerSecond,
        h2dPageableBytesPerSecond,
        d2hBytesPerSecond,
        gpuBytesPerSecond,
        simdBytesPerSecond,
        scalarBytesPerSecond,
        reason,
        source);
  }

  /**
   * A copy with the given figures replaced, keyed as the class comment lists. The source gains
   * {@code ; configured: <keys>} so the decision line shows which figures were not measured.
   *
   * @throws TruenoException with {@link ErrorCode#INVALID_CONFIG} for an unknown key (listing the
   *     known ones) or a value that is not a positive finite number
   */
  public HardwareProfile withOverrides(Map<String, Double> overrides) {
    Objects.requireNonNull(overrides, "overrides");
    if (overrides.isEmpty()) {
      return this;
    }
    double pinned = h2dPinnedBytesPerSecond;
    double pageable = h2dPageableBytesPerSecond;
    double d2h = d2hBytesPerSecond;
    Map<OperatorKind, Double> gpu = new EnumMap<>(gpuBytesPerSecond);
    Map<OperatorKind, Double> simd = new EnumMap<>(simdBytesPerSecond);
    Map<OperatorKind, Double> scalar = new EnumMap<>(scalarBytesPerSecond);
    // Sorted so the source string does not depend on the caller's map order.
    Map<String, Double> sorted = new TreeMap<>(overrides);
    for (Map.Entry<String, Double> e : sorted.entrySet()) {
      String key = e.getKey();
      Double boxed = e.getValue();
      if (boxed == null) {
        throw invalid("override " + key + " has no value");
      }
      double value = boxed;
      requireSpeed(key, value);
      switch (key) {
        case H2D_PINNED -> pinned = value;
        case H2D_PAGEABLE -> pageable = value;
        case D2H -> d2h = value;
        default -> {
          int dot = key.indexOf('.');
          OperatorKind kind = dot < 0 ? null : kindOf(key.substring(dot + 1));
          String prefix = dot < 0 ? key : key.substring(0, dot);
          Map<OperatorKind, Double> target =
              switch (prefix) {
                case "gpu" -> gpu;
                case "simd" -> simd;
                case "scalar" -> scalar;
                default -> null;
              };
          if (kind == null || target == null) {
            throw invalid(
                "unknown hardware profile key "
                    + key
                    + "; known keys: "
                    + String.join(", ", knownKeys()));
          }
          target.put(kind, value);
        }
      }
    }
    return new HardwareProfile(
        pinned,
        pageable,
        d2h,
        gpu,
        simd,
        scalar,
        gpuUnavailableReason,
        source + "; configured: " + String.join(", ", sorted.keySet()));
  }

  /** Every key {@link #withOverrides} accepts, in a stable order. */
  public static List<String> knownKeys() {
    List<String> keys = new ArrayList<>(List.of(H2D_PINNED, H2D_PAGEABLE, D2H));
    for (String prefix : List.of("gpu", "simd", "scalar")) {
      for (OperatorKind kind : OperatorKind.values()) {
        keys.add(prefix + "." + kind.key());
      }
    }
    return Collections.unmodifiableList(keys);
  }

  private static OperatorKind kindOf(String key) {
    for (OperatorKind kind : OperatorKind.values()) {
      if (kind.key().equals(key)) {
        return kind;
      }
    }
    return null;
  }

  private static Map<OperatorKind, Double> copyPerKind(String prefix, Map<OperatorKind, Double> m) {
    if (m == null) {
      throw invalid(prefix + " throughputs are missing (need one per operator kind)");
    }
    TreeSet<String> missing = new TreeSet<>();
    Map<OperatorKind, Double> copy = new EnumMap<>(OperatorKind.class);
    for (OperatorKind kind : OperatorKind.values()) {
      Double v = m.get(kind);
      if (v == null) {
        missing.add(prefix + "." + kind.key());
      } else {
        requireSpeed(prefix + "." + kind.key(), v);
        copy.put(kind, v);
      }
    }
    if (!missing.isEmpty()) {
      throw invalid("hardware profile has no figure for " + String.join(", ", missing));
    }
    return Collections.unmodifiableMap(copy);
  }

  private static void requireSpeed(String key, double bytesPerSecond) {
    if (!(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond)) {
      throw invalid(
          "hardware profile figure "
              + key
              + " must be a positive finite number of bytes per second, was "
              + bytesPerSecond);
    }
  }

  private static TruenoException invalid(String message) {
    return new TruenoException(ErrorCode.INVALID_CONFIG, message);
  }
}
