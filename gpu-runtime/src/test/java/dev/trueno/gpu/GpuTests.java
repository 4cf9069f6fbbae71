package dev.trueno.gpu;

import static org.junit.jupiter.api.Assertions.fail;

import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.types.DataType;
import dev.trueno.gpu.device.CudaDevice;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** What every GPU test needs: the device, or a skip (a failure under trueno.requireGpu). */
public final class GpuTests {
  private GpuTests() {}

  /**
   * The discovered device. Where no GPU can be used the calling test is skipped with the discovery
   * reason, or fails with it under {@code -Dtrueno.requireGpu=true}, so a GPU run cannot pass by
   * skipping.
   */
  public static CudaDevice deviceOrSkip() {
    CudaDevice.Discovery discovery = CudaDevice.discover();
    if (!discovery.usable()) {
      if (Boolean.getBoolean("trueno.requireGpu")) {
        fail("trueno.requireGpu is set but " + discovery.unavailableReason());
      }
      Assumptions.abort(discovery.unavailableReason());
    }
    return discovery.device();
  }

  /** An update-mode call over a column (or COUNT(*) when {@code arg} is null), typed as Spark. */
  static AggregateCall call(AggregateFunction f, ColumnRef arg, boolean ansi) {
    DataType argType = arg == null ? DataType.LONG : arg.type();
    DataType result =
        switch (f) {
          case SUM -> AggregateCall.sumType(argType);
          case AVG -> AggregateCall.avgResultType(argType);
          case COUNT, COUNT_STAR -> DataType.LONG;
          case MIN, MAX -> argType;
        };
    return new AggregateCall(f, arg, argType, result, List.of(), null, ansi);
  }
}
