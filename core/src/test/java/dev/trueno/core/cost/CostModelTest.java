package dev.trueno.core.cost;

import static dev.trueno.core.cost.Profiles.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import org.junit.jupiter.api.Test;

class CostModelTest {

  /** 80 MiB: at the exact profile's pinned 80 MiB/s it moves in exactly 1 s. */
  private static final long INPUT = 80 * MIB;

  /** 16 MiB/s: 80 MiB takes exactly 5 s on the CPU, i.e. exactly 5 x the 1 s transfer. */
  private static final double AT_FIVE_X = 16 * MIB;

  private static Decision decide(double simd, OperatorEstimate e) {
    return new CostModel(Profiles.exact(simd)).decide(e, CpuBackend.SIMD);
  }

  private static OperatorEstimate pinned(long input) {
    return OperatorEstimate.of(OperatorKind.REDUCTION, input, 0, true);
  }

  @Test
  void defaultsAreTenMebibytesAndFiveTimes() {
    CostModel model = new CostModel(Profiles.exact(AT_FIVE_X));
    assertThat(model.minBytes()).isEqualTo(10 * MIB);
    assertThat(model.transferFactor()).isEqualTo(5.0);
  }

  @Test
  void cpuExactlyFiveTimesTransferStaysOnCpu() {
    Decision d = decide(AT_FIVE_X, pinned(INPUT));
    assertThat(d.cpuSeconds()).isEqualTo(5.0);
    assertThat(d.transferSeconds()).isEqualTo(1.0);
    assertThat(d.cpuToTransferRatio()).isEqualTo(5.0);
    assertThat(d.backend()).isEqualTo(BackendChoice.SIMD);
    assertThat(d.explain())
        .isEqualTo(
            "simd: cpu 5.00 s <= spark.trueno.costModel.transferFactor 5.0 x transfer 1.00 s"
                + " (moved 80 MiB at 0.1 GB/s pinned, result 0 B)");
  }

  @Test
  void cpuJustOverFiveTimesTransferGoesToGpu() {
    Decision d = decide(AT_FIVE_X - 1, pinned(INPUT));
    assertThat(d.cpuSeconds()).isGreaterThan(5.0);
    assertThat(d.backend()).isEqualTo(BackendChoice.GPU);
    assertThat(d.gpu()).isTrue();
    assertThat(d.explain()).startsWith("gpu: simd 5.00 s > 5.0 x transfer 1.00 s (moved 80 MiB");
  }

  @Test
  void cpuJustUnderFiveTimesTransferStaysOnCpu() {
    Decision d = decide(AT_FIVE_X + 1, pinned(INPUT));
    assertThat(d.cpuSeconds()).isLessThan(5.0);
    assertThat(d.backend()).isEqualTo(BackendChoice.SIMD);
  }

  @Test
  void transferFactorIsConfigurable() {
    // cpu 5 s, transfer 1 s: a factor just under 5 offloads, the default does not.
    CostModel model = new CostModel(Profiles.exact(AT_FIVE_X), 10 * MIB, 4.9);
    assertThat(model.decide(pinned(INPUT), CpuBackend.SIMD).gpu()).isTrue();
    assertThat(decide(AT_FIVE_X, pinned(INPUT)).gpu()).isFalse();
  }

  @Test
  void inputJustUnderMinBytesStaysOnCpuAndNamesTheKey() {
    // A CPU so slow that the ratio alone would offload.
    Decision d = decide(1, pinned(10 * MIB - 1));
    assertThat(d.backend()).isEqualTo(BackendChoice.SIMD);
    assertThat(d.explain()).isEqualTo("simd: input 10.0 MiB < spark.trueno.gpu.minBytes 10 MiB");
  }

  @Test
  void inputOfExactlyMinBytesMayGoToGpu() {
    assertThat(decide(1, pinned(10 * MIB)).gpu()).isTrue();
  }

  @Test
  void minBytesIsConfigurable() {
    CostModel model = new CostModel(Profiles.exact(1), 0, 5.0);
    assertThat(model.decide(pinned(1), CpuBackend.SIMD).gpu()).isTrue();
  }

  @Test
  void residentInputCostsNoTransferOnlyTheResultDoes() {
    // cpu 10 s. Nothing resident: 1 s in + 1 s result out = 2 s, and 10 > 5 x 2 is false.
    double simd = 8 * MIB;
    OperatorEstimate cold = new OperatorEstimate(OperatorKind.FILTER, INPUT, 0, 16 * MIB, true);
    OperatorEstimate resident =
        new OperatorEstimate(OperatorKind.FILTER, INPUT, INPUT, 16 * MIB, true);

    Decision coldDecision = decide(simd, cold);
    assertThat(coldDecision.transferSeconds()).isEqualTo(2.0);
    assertThat(coldDecision.gpu()).isFalse();

    Decision residentDecision = decide(simd, resident);
    assertThat(residentDecision.bytesToMove()).isZero();
    assertThat(residentDecision.transferSeconds()).isEqualTo(1.0);
    assertThat(residentDecision.gpu()).isTrue();
    assertThat(residentDecision.explain()).contains("moved 0 B", "result 16 MiB");
  }

  @Test
  void residentBytesAboveInputMoveNothing() {
    OperatorEstimate e = new OperatorEstimate(OperatorKind.JOIN_PROBE, INPUT, 2 * INPUT, 0, false);
    assertThat(e.bytesToMove()).isZero();
  }

  @Test
  void nothingToMoveAndNoResultIsAnInfiniteRatioAndOffloads() {
    Decision d =
        decide(AT_FIVE_X, new OperatorEstimate(OperatorKind.REDUCTION, INPUT, INPUT, 0, true));
    assertThat(d.transferSeconds()).isZero();
    assertThat(d.cpuToTransferRatio()).isInfinite();
    assertThat(d.gpu()).isTrue();
  }

  @Test
  void pageableInputCopiesAtThePageableBandwidth() {
    // cpu 10 s; pinned moves in 1 s (offload), pageable in 2 s (10 > 10 is false).
    double simd = 8 * MIB;
    Decision pinned = decide(simd, OperatorEstimate.of(OperatorKind.REDUCTION, INPUT, 0, true));
    Decision pageable = decide(simd, OperatorEstimate.of(OperatorKind.REDUCTION, INPUT, 0, false));
    assertThat(pinned.gpu()).isTrue();
    assertThat(pinned.h2dBytesPerSecond()).isEqualTo(80.0 * MIB);
    assertThat(pageable.transferSeconds()).isEqualTo(2.0);
    assertThat(pageable.h2dBytesPerSecond()).isEqualTo(40.0 * MIB);
    assertThat(pageable.gpu()).isFalse();
    assertThat(pageable.explain()).contains("pageable");
  }

  @Test
  void noUsableGpuKeepsEvenAHugeWinOnTheCpuWithTheReason() {
    HardwareProfile profile = Profiles.exact(1).cpuOnly("no CUDA device visible");
    Decision d = new CostModel(profile).decide(pinned(INPUT), CpuBackend.SCALAR);
    assertThat(d.backend()).isEqualTo(BackendChoice.SCALAR);
    assertThat(d.explain()).isEqualTo("scalar: no usable GPU (no CUDA device visible)");
    // The figures are still there for explain (ALL) and metrics.
    assertThat(d.transferSeconds()).isEqualTo(1.0);
    assertThat(d.cpuSeconds()).isEqualTo(4.0 * INPUT);
  }

  @Test
  void scalarIsPricedWithTheScalarThroughput() {
    // Scalar is 4x slower than SIMD in the exact profile: 20 s against 1 s of transfer.
    Decision scalar =
        new CostModel(Profiles.exact(AT_FIVE_X)).decide(pinned(INPUT), CpuBackend.SCALAR);
    assertThat(scalar.cpuSeconds()).isEqualTo(20.0);
    assertThat(scalar.gpu()).isTrue();
    assertThat(scalar.explain()).startsWith("gpu: scalar 20.00 s > 5.0 x transfer 1.00 s");
    assertThat(decide(AT_FIVE_X, pinned(INPUT)).gpu()).isFalse();
  }

  @Test
  void eachKindUsesItsOwnThroughput() {
    HardwareProfile profile =
        Profiles.exact(AT_FIVE_X).withOverrides(java.util.Map.of("simd.hashAggregate", 1.0 * MIB));
    CostModel model = new CostModel(profile);
    assertThat(model.decide(pinned(INPUT), CpuBackend.SIMD).gpu()).isFalse();
    Decision agg =
        model.decide(
            OperatorEstimate.of(OperatorKind.HASH_AGGREGATE, INPUT, 0, true), CpuBackend.SIMD);
    assertThat(agg.cpuSeconds()).isEqualTo(80.0);
    assertThat(agg.gpuSeconds()).isEqualTo(80.0 / 1024);
    assertThat(agg.gpu()).isTrue();
  }

  @Test
  void phasesAddUpAndEachUsesItsOwnThroughput() {
    // A join: build 40 MiB at simd 1 MiB/s (40 s), probe 40 MiB at 80 MiB/s (0.5 s); moving
    // 80 MiB pinned takes 1 s. Neither phase alone would pass min bytes and the rule's factor.
    HardwareProfile profile =
        Profiles.exact(80 * MIB).withOverrides(java.util.Map.of("simd.joinBuild", 1.0 * MIB));
    CostModel model = new CostModel(profile);
    OperatorEstimate build = OperatorEstimate.of(OperatorKind.JOIN_BUILD, 40 * MIB, 0, true);
    OperatorEstimate probe = OperatorEstimate.of(OperatorKind.JOIN_PROBE, 40 * MIB, 0, true);
    Decision d = model.decide(java.util.List.of(build, probe), CpuBackend.SIMD);
    assertThat(d.kind()).isEqualTo(OperatorKind.JOIN_BUILD);
    assertThat(d.inputBytes()).isEqualTo(80 * MIB);
    assertThat(d.bytesToMove()).isEqualTo(80 * MIB);
    assertThat(d.cpuSeconds()).isEqualTo(40.5);
    assertThat(d.transferSeconds()).isEqualTo(1.0);
    assertThat(d.gpu()).isTrue();
    // The probe alone is fast on the CPU: 0.5 s <= 5 x 0.5 s.
    assertThat(model.decide(probe, CpuBackend.SIMD).gpu()).isFalse();
  }

  @Test
  void splittingAnEstimateIntoPhasesOfItsKindDecidesTheSame() {
    CostModel model = new CostModel(Profiles.exact(AT_FIVE_X - 1));
    Decision whole = model.decide(pinned(INPUT), CpuBackend.SIMD);
    Decision halves =
        model.decide(java.util.List.of(pinned(INPUT / 2), pinned(INPUT / 2)), CpuBackend.SIMD);
    assertThat(halves).isEqualTo(whole);
    assertThatThrownBy(() -> model.decide(java.util.List.of(), CpuBackend.SIMD))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one phase");
  }

  @Test
  void invalidConstantsAreRejectedNamingTheirKeys() {
    HardwareProfile profile = Profiles.exact(AT_FIVE_X);
    assertThatThrownBy(() -> new CostModel(profile, -1, 5.0))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("spark.trueno.gpu.minBytes must be >= 0 bytes, was -1");
    for (double bad : new double[] {0, -5, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new CostModel(profile, 0, bad))
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining("spark.trueno.costModel.transferFactor must be a positive finite")
          .satisfies(
              t -> assertThat(((TruenoException) t).code()).isEqualTo(ErrorCode.INVALID_CONFIG));
    }
  }

  @Test
  void negativeEstimatesAreRejectedNamingTheField() {
    assertThatThrownBy(() -> new OperatorEstimate(OperatorKind.FILTER, -1, 0, 0, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("OperatorEstimate.inputBytes must be >= 0 bytes, was -1");
    assertThatThrownBy(() -> new OperatorEstimate(OperatorKind.FILTER, 1, -2, 0, true))
        .hasMessageContaining("OperatorEstimate.residentBytes must be >= 0 bytes, was -2");
    assertThatThrownBy(() -> new OperatorEstimate(OperatorKind.FILTER, 1, 0, -3, true))
        .hasMessageContaining("OperatorEstimate.resultBytes must be >= 0 bytes, was -3");
    assertThatThrownBy(() -> new OperatorEstimate(null, 1, 0, 0, true))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("kind");
  }

  @Test
  void byteFiguresPrintInBinaryUnits() {
    assertThat(CostModel.bytes(0)).isEqualTo("0 B");
    assertThat(CostModel.bytes(1023)).isEqualTo("1023 B");
    assertThat(CostModel.bytes(8 * MIB)).isEqualTo("8 MiB");
    assertThat(CostModel.bytes((long) (3.1 * MIB))).isEqualTo("3.1 MiB");
    assertThat(CostModel.bytes(1288490189L)).isEqualTo("1.2 GiB");
    assertThat(CostModel.bytes(Long.MAX_VALUE)).isEqualTo("8 EiB");
  }

  @Test
  void timesAndBandwidthsPrintWithReadableUnits() {
    assertThat(CostModel.seconds(1.2)).isEqualTo("1.20 s");
    assertThat(CostModel.seconds(0.1)).isEqualTo("100.00 ms");
    assertThat(CostModel.seconds(2.5e-5)).isEqualTo("25.00 us");
    assertThat(CostModel.seconds(0)).isEqualTo("0.00 s");
    assertThat(CostModel.bandwidth(24.5e9)).isEqualTo("24.5 GB/s");
  }

  @Test
  void toStringNamesTheConstantsAndTheSource() {
    assertThat(new CostModel(Profiles.exact(1).cpuOnly("disabled")).toString())
        .isEqualTo(
            "CostModel[spark.trueno.gpu.minBytes=10 MiB, spark.trueno.costModel.transferFactor=5.0,"
                + " profile source=test, no usable GPU: disabled]");
  }
}
