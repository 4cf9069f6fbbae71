package dev.trueno.spark.calibration;

import dev.trueno.core.cost.HardwareProfile;
import dev.trueno.core.cost.OperatorKind;
import java.util.EnumMap;
import java.util.Map;

/** Profiles with distinct, awkward figures (fractions, large exponents) for round trips. */
final class TestProfiles {
  private TestProfiles() {}

  static HardwareProfile measured(double scale) {
    return new HardwareProfile(
        24.123456789e9 * scale,
        11.5e9 * scale,
        25.000000001e9 * scale,
        perKind(3.3e10 * scale),
        perKind(4.7e9 * scale),
        perKind(1.1e8 * scale),
        null,
        "measured");
  }

  static HardwareProfile withSource(HardwareProfile p, String source) {
    return new HardwareProfile(
        p.h2dPinnedBytesPerSecond(),
        p.h2dPageableBytesPerSecond(),
        p.d2hBytesPerSecond(),
        p.gpuBytesPerSecond(),
        p.simdBytesPerSecond(),
        p.scalarBytesPerSecond(),
        p.gpuUnavailableReason(),
        source);
  }

  private static Map<OperatorKind, Double> perKind(double base) {
    Map<OperatorKind, Double> m = new EnumMap<>(OperatorKind.class);
    for (OperatorKind kind : OperatorKind.values()) {
      m.put(kind, base / (kind.ordinal() + 1.7));
    }
    return m;
  }
}
