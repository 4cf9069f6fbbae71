package dev.trueno.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.Arithmetic;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.device.CudaDevice;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** Discovery and planning checks that need no GPU, so they run in CI on every machine. */
class GpuBackendWithoutDeviceTest {
  private static final List<Field> INPUT =
      List.of(
          new Field("i", DataType.INT, true),
          new Field("l", DataType.LONG, true),
          new Field("d", DataType.DOUBLE, true),
          new Field("s", DataType.STRING, true));

  private static AggregateCall call(AggregateFunction f, Expr arg, Expr filter) {
    DataType argType = arg == null ? DataType.LONG : arg.type();
    DataType result =
        switch (f) {
          case SUM -> AggregateCall.sumType(argType);
          case AVG -> AggregateCall.avgResultType(argType);
          case COUNT, COUNT_STAR -> DataType.LONG;
          case MIN, MAX -> argType;
        };
    return new AggregateCall(f, arg, argType, result, List.of(), filter, false);
  }

  private static AggregatePlan plan(List<Expr> keys, AggregateMode mode, AggregateCall... calls) {
    return new AggregatePlan(
        INPUT,
        keys,
        keys.stream().map(k -> "k").toList(),
        List.of(calls),
        mode,
        List.of(),
        List.of());
  }

  private static final ColumnRef I = new ColumnRef(0, DataType.INT, "i");
  private static final ColumnRef L = new ColumnRef(1, DataType.LONG, "l");
  private static final ColumnRef D = new ColumnRef(2, DataType.DOUBLE, "d");
  private static final ColumnRef S = new ColumnRef(3, DataType.STRING, "s");

  @Test
  void discoveryNeverThrowsAndExplainsAMissingGpu() {
    CudaDevice.Discovery discovery = CudaDevice.discover();
    assertThat(discovery).isSameAs(CudaDevice.discover());
    if (discovery.usable()) {
      assertThat(discovery.unavailableReason()).isNull();
      assertThat(new GpuBackend().unavailableReason()).isNull();
    } else {
      assertThat(discovery.device()).isNull();
      assertThat(discovery.unavailableReason())
          .startsWith("No usable GPU: ")
          .hasSizeGreaterThan(30);
      assertThat(new GpuBackend().unavailableReason()).isEqualTo(discovery.unavailableReason());
    }
  }

  @Test
  void creatingAnAggregatorWithoutAGpuSaysWhy() {
    CudaDevice.Discovery discovery = CudaDevice.discover();
    if (discovery.usable()) {
      return;
    }
    AggregatePlan p = plan(List.of(), AggregateMode.COMPLETE, call(AggregateFunction.SUM, L, null));
    try (RootAllocator allocator = new RootAllocator(1 << 20)) {
      assertThatThrownBy(() -> new GpuBackend().createAggregator(p, allocator))
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining("UNSUPPORTED")
          .hasMessageContaining(discovery.unavailableReason());
    }
  }

  @Test
  void globalAggregatesOfIntegerAndDoubleColumnsAreSupported() {
    GpuBackend gpu = new GpuBackend();
    for (AggregateMode mode : new AggregateMode[] {AggregateMode.COMPLETE, AggregateMode.PARTIAL}) {
      assertThat(
              gpu.unsupportedReason(
                  plan(
                      List.of(),
                      mode,
                      call(AggregateFunction.COUNT_STAR, null, null),
                      call(AggregateFunction.SUM, I, null),
                      call(AggregateFunction.AVG, L, null),
                      call(AggregateFunction.COUNT, D, null),
                      call(AggregateFunction.MIN, D, null),
                      call(AggregateFunction.MAX, I, null))))
          .isNull();
    }
  }

  @Test
  void keylessAggregationsBeyondTheReductionKernelsRunAsOneGroup() {
    GpuBackend gpu = new GpuBackend();
    Expr plusOne =
        new Arithmetic(ArithmeticOp.ADD, L, new Literal(1L, DataType.LONG), DataType.LONG, false);
    Expr positive = new Comparison(ComparisonOp.GREATER_THAN, L, new Literal(0L, DataType.LONG));
    for (AggregateCall call :
        List.of(
            call(AggregateFunction.SUM, D, null),
            call(AggregateFunction.AVG, D, null),
            call(AggregateFunction.SUM, plusOne, null),
            call(AggregateFunction.SUM, L, positive))) {
      assertThat(gpu.unsupportedReason(plan(List.of(), AggregateMode.COMPLETE, call)))
          .as("%s", call)
          .isNull();
    }
  }

  @Test
  void everythingElseHasAReason() {
    GpuBackend gpu = new GpuBackend();
    assertThat(
            gpu.unsupportedReason(
                plan(List.of(D), AggregateMode.COMPLETE, call(AggregateFunction.SUM, L, null))))
        .startsWith("grouping by double is not on the GPU yet");
    // A FINAL plan without its buffer columns: the scalar reference's own check says so.
    assertThat(
            gpu.unsupportedReason(
                plan(
                    List.of(),
                    AggregateMode.FINAL,
                    call(AggregateFunction.COUNT_STAR, null, null))))
        .contains("buffer columns");
    // Keyless: the reduction kernels' reason and the hash path's.
    assertThat(
            gpu.unsupportedReason(
                plan(List.of(), AggregateMode.COMPLETE, call(AggregateFunction.MIN, S, null))))
        .contains("MIN over string is not on the GPU yet")
        .contains("MIN over string in a grouped aggregation is not on the GPU yet");
  }

  @Test
  void groupedAggregatesByUpToFourKeysInUpdateModesAreSupported() {
    GpuBackend gpu = new GpuBackend();
    for (AggregateMode mode : new AggregateMode[] {AggregateMode.COMPLETE, AggregateMode.PARTIAL}) {
      for (List<Expr> keys :
          List.<List<Expr>>of(List.of(I), List.of(L), List.of(I, L), List.of(I, L, I, L))) {
        assertThat(
                gpu.unsupportedReason(
                    plan(
                        keys,
                        mode,
                        call(AggregateFunction.COUNT_STAR, null, null),
                        call(AggregateFunction.COUNT, D, null),
                        call(AggregateFunction.SUM, I, null),
                        call(AggregateFunction.SUM, D, null),
                        call(AggregateFunction.AVG, L, null),
                        call(AggregateFunction.AVG, D, null),
                        call(AggregateFunction.MIN, I, null),
                        call(AggregateFunction.MAX, D, null))))
            .as("keys %s, mode %s", keys, mode)
            .isNull();
      }
    }
  }

  @Test
  void mergeModesNeedTheBufferColumnsInSparksLayout() {
    GpuBackend gpu = new GpuBackend();
    // SUM(l) merges one long buffer column; AVG(i) a double sum and a long count.
    List<Field> input =
        List.of(
            new Field("k", DataType.INT, true),
            new Field("sum", DataType.LONG, true),
            new Field("avgsum", DataType.DOUBLE, true),
            new Field("avgcount", DataType.LONG, true));
    AggregateCall sum =
        new AggregateCall(
            AggregateFunction.SUM, L, DataType.LONG, DataType.LONG, List.of(1), null, false);
    AggregateCall avg =
        new AggregateCall(
            AggregateFunction.AVG,
            I,
            DataType.INT,
            AggregateCall.avgResultType(DataType.INT),
            List.of(2, 3),
            null,
            false);
    for (AggregateMode mode :
        new AggregateMode[] {AggregateMode.FINAL, AggregateMode.PARTIAL_MERGE}) {
      AggregatePlan plan =
          new AggregatePlan(
              input,
              List.of(new ColumnRef(0, DataType.INT, "k")),
              List.of("k"),
              List.of(sum, avg),
              mode,
              List.of(),
              List.of());
      assertThat(gpu.unsupportedReason(plan)).as("mode %s", mode).isNull();
    }
    AggregatePlan wrongLayout =
        new AggregatePlan(
            input,
            List.of(new ColumnRef(0, DataType.INT, "k")),
            List.of("k"),
            List.of(
                new AggregateCall(
                    AggregateFunction.AVG,
                    I,
                    DataType.INT,
                    AggregateCall.avgResultType(DataType.INT),
                    List.of(1, 3),
                    null,
                    false)),
            AggregateMode.FINAL,
            List.of(),
            List.of());
    assertThat(gpu.unsupportedReason(wrongLayout))
        .isEqualTo(
            "aggregate 0 (AVG): buffer column sum has type long, Spark's buffer layout needs"
                + " double");
  }

  @Test
  void groupedAggregationsBeyondTheGpuSayWhatIsMissing() {
    GpuBackend gpu = new GpuBackend();
    AggregateCall countStar = call(AggregateFunction.COUNT_STAR, null, null);
    assertThat(
            gpu.unsupportedReason(plan(List.of(I, L, I, L, I), AggregateMode.COMPLETE, countStar)))
        .isEqualTo("grouping by 5 keys is not on the GPU (at most 4 are)");
    assertThat(gpu.unsupportedReason(plan(List.of(S), AggregateMode.COMPLETE, countStar)))
        .startsWith("grouping by string is not on the GPU yet");
    // Keys, arguments and filters that are expressions run on the GPU's expression evaluator...
    Expr plusOne =
        new Arithmetic(ArithmeticOp.ADD, L, new Literal(1L, DataType.LONG), DataType.LONG, false);
    Expr positive = new Comparison(ComparisonOp.GREATER_THAN, L, new Literal(0L, DataType.LONG));
    assertThat(gpu.unsupportedReason(plan(List.of(plusOne), AggregateMode.COMPLETE, countStar)))
        .isNull();
    assertThat(
            gpu.unsupportedReason(
                plan(
                    List.of(L),
                    AggregateMode.COMPLETE,
                    call(AggregateFunction.SUM, plusOne, null),
                    call(AggregateFunction.SUM, I, positive),
                    call(AggregateFunction.COUNT_STAR, null, positive))))
        .isNull();
    // ...when it evaluates them exactly; otherwise its reason is the GPU's.
    Expr isA = new Comparison(ComparisonOp.EQUAL, S, new Literal("a", DataType.STRING));
    assertThat(
            gpu.unsupportedReason(
                plan(List.of(L), AggregateMode.COMPLETE, call(AggregateFunction.SUM, I, isA))))
        .startsWith("SUM with FILTER (WHERE ...): ")
        .contains("not on the GPU");
    assertThat(
            gpu.unsupportedReason(
                plan(List.of(I), AggregateMode.PARTIAL, call(AggregateFunction.MAX, S, null))))
        .contains("MAX over string in a grouped aggregation is not on the GPU yet");
    assertThat(
            gpu.unsupportedReason(
                plan(List.of(L), AggregateMode.FINAL, call(AggregateFunction.SUM, I, null))))
        .isEqualTo("aggregate 0 (SUM): expected 1 buffer columns, got 0");
  }
}
