package dev.trueno.simd.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.backend.Backend;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.simd.vector.VectorBackend;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CpuCalibrationTest {
  private BufferAllocator allocator;

  @BeforeEach
  void open() {
    allocator = new RootAllocator(256L << 20);
  }

  @AfterEach
  void close() {
    allocator.close(); // fails the test when calibration left a buffer behind
  }

  @Test
  void everyKindGetsAPositiveFiniteFigureOnBothBackends() {
    CpuCalibration.Result result = CpuCalibration.measure(allocator);
    System.out.println("CPU calibration: " + result);
    assertThat(result.simdUnavailableReason()).isNull(); // the tests run with the Vector API
    for (Map<OperatorKind, Double> figures :
        java.util.List.of(result.simdBytesPerSecond(), result.scalarBytesPerSecond())) {
      assertThat(figures).containsOnlyKeys(OperatorKind.values());
      figures.values().forEach(v -> assertThat(v).isPositive().isFinite());
    }
    assertThat(result.elapsedNanos()).isPositive();
  }

  @Test
  void everyBackendSupportsEveryWorkload() {
    for (Backend backend : new Backend[] {new ScalarBackend(), new VectorBackend()}) {
      for (OperatorKind kind : OperatorKind.values()) {
        assertThat(CalibrationWorkload.unsupportedReason(backend, kind))
            .as(backend.name() + " " + kind)
            .isNull();
      }
    }
  }

  @Test
  void throughputCountsTheBytesOfTheColumnsRead() {
    // A run frees everything it allocated, and a figure is bytes over time: positive and finite.
    CalibrationWorkload workload = new CalibrationWorkload(1000);
    for (OperatorKind kind : OperatorKind.values()) {
      double bps = workload.bytesPerSecond(new ScalarBackend(), kind, allocator);
      assertThat(bps).as(kind.toString()).isPositive().isFinite();
      assertThat(allocator.getAllocatedMemory()).isZero();
    }
  }

  @Test
  void aggregatePlansAreKeylessExceptTheHashAggregate() {
    AggregatePlan reduction = CalibrationWorkload.aggregatePlan(OperatorKind.REDUCTION);
    AggregatePlan filter = CalibrationWorkload.aggregatePlan(OperatorKind.FILTER);
    AggregatePlan grouped = CalibrationWorkload.aggregatePlan(OperatorKind.HASH_AGGREGATE);
    assertThat(reduction.groupingKeys()).isEmpty();
    assertThat(filter.groupingKeys()).isEmpty();
    assertThat(filter.calls().get(0).filter()).isNotNull();
    assertThat(grouped.groupingKeys()).hasSize(1);
    assertThatThrownBy(() -> CalibrationWorkload.aggregatePlan(OperatorKind.JOIN_PROBE))
        .hasMessageContaining("join_probe is a join");
  }

  @Test
  void tooSmallAWorkloadIsRefused() {
    assertThatThrownBy(() -> new CalibrationWorkload(3)).hasMessageContaining("at least 4 rows");
  }
}
