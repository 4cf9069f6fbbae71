package dev.trueno.benchmarks.tpch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TpchBackendsTest {

  @Test
  void backendsAreParsedCaseInsensitivelyInTheGivenOrder() {
    TpchRunner.Options options =
        TpchRunner.Options.parse(new String[] {"--backends", "AUTO, gpu,Simd,scalar"});

    assertThat(options.backends()).containsExactly("auto", "gpu", "simd", "scalar");
    assertThat(TpchBackends.confValue("simd")).isEqualTo("SIMD");
  }

  @Test
  void withoutTheOptionNoBackendsAreCompared() {
    assertThat(TpchRunner.Options.parse(new String[] {"--queries", "1"}).backends()).isEmpty();
  }

  @Test
  void unknownBackendIsRejectedWithTheAcceptedNames() {
    assertThatThrownBy(() -> TpchRunner.Options.parse(new String[] {"--backends", "auto,cuda"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown backend 'cuda'")
        .hasMessageContaining("auto, gpu, simd, scalar");
  }

  @Test
  void duplicateBackendIsRejected() {
    assertThatThrownBy(() -> TpchBackends.parse("simd,auto,SIMD"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lists 'simd' twice");
  }

  @Test
  void emptyBackendNameIsRejected() {
    assertThatThrownBy(() -> TpchBackends.parse("auto,,simd"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty name");
  }

  @Test
  void backendsNeedAValue() {
    assertThatThrownBy(() -> TpchRunner.Options.parse(new String[] {"--backends"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--backends needs a value");
  }

  @Test
  void ruleIsRightWithinTenPercentOfTheFastestForcedBackend() {
    assertThat(TpchBackends.ruleVerdict(times("auto", 109, "gpu", 100, "simd", 300)))
        .isEqualTo("yes");
    assertThat(TpchBackends.ruleVerdict(times("auto", 80, "gpu", 100, "simd", 300)))
        .isEqualTo("yes");
  }

  @Test
  void ruleIsWrongNamesTheFastestBackendAndHowMuchFaster() {
    assertThat(TpchBackends.ruleVerdict(times("auto", 130, "gpu", 100, "simd", 300)))
        .isEqualTo("no: gpu 1.3x faster");
    assertThat(TpchBackends.ruleVerdict(times("simd", 50, "auto", 100, "scalar", 80)))
        .isEqualTo("no: simd 2.0x faster");
  }

  @Test
  void ruleVerdictNeedsAutoAndAForcedBackend() {
    assertThat(TpchBackends.ruleVerdict(times("auto", 100))).isEqualTo("n/a");
    assertThat(TpchBackends.ruleVerdict(times("simd", 100, "gpu", 50))).isEqualTo("n/a");
  }

  @Test
  void choicesAreDescribedInPlanOrder() {
    List<OperatorChoice> choices =
        List.of(
            OperatorChoice.ruled("HashAggregate(PARTIAL)", 8, 0),
            OperatorChoice.ruled("HashJoin(INNER, shuffled)", 0, 200),
            OperatorChoice.fixed("HashJoin(LEFT_SEMI, broadcast)", "simd"),
            OperatorChoice.ruled("HashAggregate(FINAL)", 3, 5));

    assertThat(OperatorChoice.describe(choices))
        .isEqualTo(
            "HashAggregate(PARTIAL) gpu 8/8, HashJoin(INNER, shuffled) cpu 200/200,"
                + " HashJoin(LEFT_SEMI, broadcast) simd (fixed),"
                + " HashAggregate(FINAL) mixed gpu 3/8 cpu 5/8");
    assertThat(OperatorChoice.describe(List.of())).isEqualTo("none");
  }

  @Test
  void choiceSummaryCountsOperatorsByPlacement() {
    List<OperatorChoice> choices =
        List.of(
            OperatorChoice.ruled("HashAggregate(PARTIAL)", 8, 0),
            OperatorChoice.ruled("HashJoin(INNER, shuffled)", 0, 200),
            OperatorChoice.ruled("HashJoin(INNER, broadcast)", 4, 0),
            OperatorChoice.ruled("HashAggregate(FINAL)", 0, 200),
            OperatorChoice.ruled("HashAggregate(PARTIAL_MERGE)", 0, 8),
            OperatorChoice.ruled("HashJoin(LEFT_ANTI, shuffled)", 1, 7),
            OperatorChoice.fixed("HashJoin(LEFT_SEMI, broadcast)", "simd"),
            OperatorChoice.ruled("HashAggregate(COMPLETE)", 0, 0));

    assertThat(OperatorChoice.summarize(choices))
        .isEqualTo("gpu 2 ops, cpu 3 ops, mixed 1, not run 1, fixed 1");
    assertThat(OperatorChoice.summarize(List.of(OperatorChoice.ruled("HashJoin(INNER, x)", 0, 1))))
        .isEqualTo("cpu 1 op");
    assertThat(OperatorChoice.summarize(List.of())).isEqualTo("none");
  }

  private static Map<String, Long> times(Object... nameThenNanos) {
    Map<String, Long> times = new LinkedHashMap<>();
    for (int i = 0; i < nameThenNanos.length; i += 2) {
      times.put((String) nameThenNanos[i], ((Integer) nameThenNanos[i + 1]).longValue());
    }
    return times;
  }
}
