package dev.trueno.core.cost;

import static dev.trueno.core.cost.Profiles.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HardwareProfileTest {

  private static HardwareProfile withH2dPinned(double value) {
    return Profiles.uniform(value, 1, 1, 1, 1, 1);
  }

  @Test
  void rejectsNonPositiveOrNonFiniteBandwidthsNamingTheFigure() {
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> withH2dPinned(bad))
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining(
              "hardware profile figure h2d.pinned must be a positive finite number of bytes per"
                  + " second, was "
                  + bad)
          .satisfies(
              t -> assertThat(((TruenoException) t).code()).isEqualTo(ErrorCode.INVALID_CONFIG));
    }
    assertThatThrownBy(() -> Profiles.uniform(1, -2, 1, 1, 1, 1))
        .hasMessageContaining("h2d.pageable");
    assertThatThrownBy(() -> Profiles.uniform(1, 1, 0, 1, 1, 1)).hasMessageContaining("d2h");
    assertThatThrownBy(() -> Profiles.uniform(1, 1, 1, 0, 1, 1))
        .hasMessageContaining("gpu.reduction");
    assertThatThrownBy(() -> Profiles.uniform(1, 1, 1, 1, Double.NaN, 1))
        .hasMessageContaining("simd.reduction");
    assertThatThrownBy(() -> Profiles.uniform(1, 1, 1, 1, 1, -1))
        .hasMessageContaining("scalar.reduction");
  }

  @Test
  void rejectsAMissingKindNamingItsKey() {
    Map<OperatorKind, Double> gpu = Profiles.perKind(1);
    gpu.remove(OperatorKind.JOIN_PROBE);
    gpu.remove(OperatorKind.FILTER);
    assertThatThrownBy(
            () ->
                new HardwareProfile(
                    1, 1, 1, gpu, Profiles.perKind(1), Profiles.perKind(1), null, "test"))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("hardware profile has no figure for gpu.filter, gpu.joinProbe");
    assertThatThrownBy(
            () -> new HardwareProfile(1, 1, 1, null, Profiles.perKind(1), gpu, null, "test"))
        .hasMessageContaining("gpu throughputs are missing");
  }

  @Test
  void rejectsABlankSourceOrReason() {
    assertThatThrownBy(
            () ->
                new HardwareProfile(
                    1,
                    1,
                    1,
                    Profiles.perKind(1),
                    Profiles.perKind(1),
                    Profiles.perKind(1),
                    null,
                    " "))
        .hasMessageContaining("source must say where the figures came from");
    assertThatThrownBy(() -> Profiles.exact(1).cpuOnly(""))
        .hasMessageContaining("gpuUnavailableReason must say why");
  }

  @Test
  void isImmutableAgainstTheCallersMaps() {
    Map<OperatorKind, Double> simd = Profiles.perKind(5);
    HardwareProfile p =
        new HardwareProfile(1, 1, 1, Profiles.perKind(1), simd, Profiles.perKind(1), null, "t");
    simd.put(OperatorKind.FILTER, 99.0);
    assertThat(p.cpuBytesPerSecond(CpuBackend.SIMD, OperatorKind.FILTER)).isEqualTo(5.0);
    assertThatThrownBy(() -> p.simdBytesPerSecond().put(OperatorKind.FILTER, 1.0))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void cpuOnlyKeepsTheFiguresAndRecordsTheReason() {
    HardwareProfile p = Profiles.exact(8 * MIB);
    assertThat(p.gpuUsable()).isTrue();
    HardwareProfile cpu = p.cpuOnly("spark.trueno.gpu.enabled=false");
    assertThat(cpu.gpuUsable()).isFalse();
    assertThat(cpu.gpuUnavailableReason()).isEqualTo("spark.trueno.gpu.enabled=false");
    assertThat(cpu.h2dPinnedBytesPerSecond()).isEqualTo(p.h2dPinnedBytesPerSecond());
    assertThat(cpu.simdBytesPerSecond()).isEqualTo(p.simdBytesPerSecond());
  }

  @Test
  void overridesReplaceOnlyTheNamedFiguresAndAreRecordedInTheSource() {
    HardwareProfile p = Profiles.exact(8 * MIB);
    Map<String, Double> overrides = new HashMap<>();
    overrides.put("h2d.pinned", 24.5e9);
    overrides.put("d2h", 20e9);
    overrides.put("gpu.joinProbe", 100e9);
    overrides.put("scalar.filter", 1e9);
    HardwareProfile o = p.withOverrides(overrides);
    assertThat(o.h2dPinnedBytesPerSecond()).isEqualTo(24.5e9);
    assertThat(o.h2dPageableBytesPerSecond()).isEqualTo(p.h2dPageableBytesPerSecond());
    assertThat(o.d2hBytesPerSecond()).isEqualTo(20e9);
    assertThat(o.gpuBytesPerSecond(OperatorKind.JOIN_PROBE)).isEqualTo(100e9);
    assertThat(o.gpuBytesPerSecond(OperatorKind.JOIN_BUILD)).isEqualTo(1024.0 * MIB);
    assertThat(o.cpuBytesPerSecond(CpuBackend.SCALAR, OperatorKind.FILTER)).isEqualTo(1e9);
    assertThat(o.cpuBytesPerSecond(CpuBackend.SIMD, OperatorKind.FILTER)).isEqualTo(8.0 * MIB);
    assertThat(o.source())
        .isEqualTo("test; configured: d2h, gpu.joinProbe, h2d.pinned, scalar.filter");
    assertThat(p.withOverrides(Map.of())).isSameAs(p);
  }

  @Test
  void everyKnownKeyIsAccepted() {
    HardwareProfile p = Profiles.exact(1);
    assertThat(HardwareProfile.knownKeys()).hasSize(3 + 3 * OperatorKind.values().length);
    for (String key : HardwareProfile.knownKeys()) {
      assertThat(p.withOverrides(Map.of(key, 42.0)).source()).endsWith("configured: " + key);
    }
  }

  @Test
  void unknownOrInvalidOverridesAreRejectedNamingTheKey() {
    HardwareProfile p = Profiles.exact(1);
    for (String key : new String[] {"h2d", "gpu.sort", "cpu.filter", "gpu", "simd.filter.x"}) {
      assertThatThrownBy(() -> p.withOverrides(Map.of(key, 1.0)))
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining("unknown hardware profile key " + key + "; known keys: h2d.pinned");
    }
    assertThatThrownBy(() -> p.withOverrides(Map.of("simd.joinBuild", 0.0)))
        .hasMessageContaining("simd.joinBuild must be a positive finite number");
    Map<String, Double> nullValue = new HashMap<>();
    nullValue.put("d2h", null);
    assertThatThrownBy(() -> p.withOverrides(nullValue))
        .hasMessageContaining("override d2h has no value");
  }
}
