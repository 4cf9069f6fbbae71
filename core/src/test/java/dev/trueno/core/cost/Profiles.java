package dev.trueno.core.cost;

import java.util.EnumMap;
import java.util.Map;

/** Test profiles whose figures divide exactly, so boundary tests compare exact doubles. */
final class Profiles {

  static final long MIB = 1L << 20;

  private Profiles() {}

  /** The same throughput for every operator kind. */
  static Map<OperatorKind, Double> perKind(double bytesPerSecond) {
    Map<OperatorKind, Double> m = new EnumMap<>(OperatorKind.class);
    for (OperatorKind kind : OperatorKind.values()) {
      m.put(kind, bytesPerSecond);
    }
    return m;
  }

  static HardwareProfile uniform(
      double h2dPinned, double h2dPageable, double d2h, double gpu, double simd, double scalar) {
    return new HardwareProfile(
        h2dPinned, h2dPageable, d2h, perKind(gpu), perKind(simd), perKind(scalar), null, "test");
  }

  /**
   * Pinned h2d 80 MiB/s (80 MiB moves in exactly 1 s), pageable 40 MiB/s, d2h 16 MiB/s, GPU 1
   * GiB/s, scalar a quarter of {@code simd}.
   */
  static HardwareProfile exact(double simd) {
    return uniform(80 * MIB, 40 * MIB, 16 * MIB, 1024 * MIB, simd, simd / 4);
  }
}
