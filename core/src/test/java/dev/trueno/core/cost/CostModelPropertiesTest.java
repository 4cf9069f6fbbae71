package dev.trueno.core.cost;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Monotonicity of the 5x rule: making the GPU's case stronger (less to move, faster copies, a
 * slower CPU) never takes work off the GPU, and a stricter factor never puts work on it.
 */
class CostModelPropertiesTest {

  /** Log-uniform speeds between 10^min and 10^max bytes per second. */
  private static Arbitrary<Double> speeds(double minExponent, double maxExponent) {
    return Arbitraries.doubles()
        .between(minExponent, maxExponent)
        .withDistribution(RandomDistribution.uniform())
        .map(exponent -> Math.pow(10, exponent));
  }

  /**
   * Copies at 100 MB/s to 100 GB/s, CPU threads at 10 MB/s to 10 GB/s (log-uniform), so that both
   * decisions occur often (checked below) and the properties are not vacuously true.
   */
  @Provide
  Arbitrary<HardwareProfile> profiles() {
    return Combinators.combine(
            speeds(8, 11),
            speeds(8, 11),
            speeds(8, 11),
            speeds(8, 12),
            speeds(7, 10),
            speeds(7, 10))
        .as(Profiles::uniform);
  }

  @Provide
  Arbitrary<OperatorEstimate> estimates() {
    // Uniform, not jqwik's default bias towards small numbers, which would put most inputs under
    // the minimum size and decide them before the ratio is looked at.
    Arbitrary<Long> sizes =
        Arbitraries.longs().between(0, 1L << 40).withDistribution(RandomDistribution.uniform());
    return Combinators.combine(
            Arbitraries.of(OperatorKind.class),
            sizes,
            Arbitraries.doubles().between(0, 1.2),
            Arbitraries.doubles().between(0, 0.2),
            Arbitraries.of(true, false))
        .as(
            (kind, input, residentShare, resultShare, pinned) ->
                new OperatorEstimate(
                    kind,
                    input,
                    (long) (input * residentShare),
                    (long) (input * resultShare),
                    pinned));
  }

  @Provide
  Arbitrary<CpuBackend> cpus() {
    return Arbitraries.of(CpuBackend.class);
  }

  private static HardwareProfile scaled(HardwareProfile p, double h2dFactor, double cpuDivisor) {
    Map<OperatorKind, Double> simd = Profiles.perKind(1);
    Map<OperatorKind, Double> scalar = Profiles.perKind(1);
    for (OperatorKind kind : OperatorKind.values()) {
      simd.put(kind, p.cpuBytesPerSecond(CpuBackend.SIMD, kind) / cpuDivisor);
      scalar.put(kind, p.cpuBytesPerSecond(CpuBackend.SCALAR, kind) / cpuDivisor);
    }
    return new HardwareProfile(
        p.h2dPinnedBytesPerSecond() * h2dFactor,
        p.h2dPageableBytesPerSecond() * h2dFactor,
        p.d2hBytesPerSecond(),
        p.gpuBytesPerSecond(),
        simd,
        scalar,
        p.gpuUnavailableReason(),
        p.source());
  }

  @Property
  void moreResidentBytesNeverTurnGpuIntoCpu(
      @ForAll("profiles") HardwareProfile profile,
      @ForAll("estimates") OperatorEstimate e,
      @ForAll("cpus") CpuBackend cpu,
      @ForAll @LongRange(min = 0, max = 1L << 40) long extra) {
    CostModel model = new CostModel(profile);
    OperatorEstimate warmer =
        new OperatorEstimate(
            e.kind(), e.inputBytes(), e.residentBytes() + extra, e.resultBytes(), e.pinnedInput());
    if (model.decide(e, cpu).gpu()) {
      assertThat(model.decide(warmer, cpu).gpu()).isTrue();
    }
  }

  @Property
  void higherHostToDeviceBandwidthNeverTurnsGpuIntoCpu(
      @ForAll("profiles") HardwareProfile profile,
      @ForAll("estimates") OperatorEstimate e,
      @ForAll("cpus") CpuBackend cpu,
      @ForAll @DoubleRange(min = 1, max = 1000) double faster) {
    if (new CostModel(profile).decide(e, cpu).gpu()) {
      assertThat(new CostModel(scaled(profile, faster, 1)).decide(e, cpu).gpu()).isTrue();
    }
  }

  @Property
  void slowerCpuNeverTurnsGpuIntoCpu(
      @ForAll("profiles") HardwareProfile profile,
      @ForAll("estimates") OperatorEstimate e,
      @ForAll("cpus") CpuBackend cpu,
      @ForAll @DoubleRange(min = 1, max = 1000) double slower) {
    if (new CostModel(profile).decide(e, cpu).gpu()) {
      assertThat(new CostModel(scaled(profile, 1, slower)).decide(e, cpu).gpu()).isTrue();
    }
  }

  @Property
  void largerTransferFactorNeverTurnsCpuIntoGpu(
      @ForAll("profiles") HardwareProfile profile,
      @ForAll("estimates") OperatorEstimate e,
      @ForAll("cpus") CpuBackend cpu,
      @ForAll @DoubleRange(min = 0.1, max = 100) double factor,
      @ForAll @DoubleRange(min = 1, max = 100) double stricter) {
    CostModel lenient = new CostModel(profile, CostModel.DEFAULT_MIN_BYTES, factor);
    CostModel strict = new CostModel(profile, CostModel.DEFAULT_MIN_BYTES, factor * stricter);
    if (!lenient.decide(e, cpu).gpu()) {
      assertThat(strict.decide(e, cpu).gpu()).isFalse();
    }
  }

  @Property
  void noUsableGpuAlwaysChoosesTheGivenCpuBackend(
      @ForAll("profiles") HardwareProfile profile,
      @ForAll("estimates") OperatorEstimate e,
      @ForAll("cpus") CpuBackend cpu) {
    Decision d = new CostModel(profile.cpuOnly("none")).decide(e, cpu);
    assertThat(d.backend()).isEqualTo(cpu.choice());
    assertThat(d.explain()).isEqualTo(cpu.choice().label() + ": no usable GPU (none)");
  }

  @Property
  void decisionsAreDeterministicAndAgreeWithTheRule(
      @ForAll("profiles") HardwareProfile profile,
      @ForAll("estimates") OperatorEstimate e,
      @ForAll("cpus") CpuBackend cpu) {
    Decision first = new CostModel(profile).decide(e, cpu);
    Decision second = new CostModel(profile).decide(e, cpu);
    assertThat(second).isEqualTo(first);
    boolean rule =
        e.inputBytes() >= CostModel.DEFAULT_MIN_BYTES
            && first.cpuSeconds() > CostModel.DEFAULT_TRANSFER_FACTOR * first.transferSeconds();
    assertThat(first.gpu()).isEqualTo(rule);
    assertThat(first.explain()).startsWith(first.backend().label() + ": ");
    // The monotonicity properties use the same generators: make sure both outcomes occur often,
    // so that they are not vacuously true.
    Statistics.label("gpu")
        .collect(first.gpu())
        .coverage(
            c -> {
              c.check(true).percentage(p -> p > 25);
              c.check(false).percentage(p -> p > 25);
            });
  }
}
