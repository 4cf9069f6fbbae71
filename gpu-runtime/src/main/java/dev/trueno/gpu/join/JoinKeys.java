package dev.trueno.gpu.join;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.agg.DeviceKernels;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.expr.DeviceExpr;
import dev.trueno.gpu.expr.DeviceExprEvaluator;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.transfer.DeviceColumn;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdeviceptr;

/**
 * The key columns of one join side on the device: key columns as they arrived, key expressions
 * evaluated by the device expression interpreter; handed to the kernels as an array of column
 * pointers and an array of their descriptions (joins.cu).
 */
final class JoinKeys implements AutoCloseable {
  private final int[] refOrdinal;
  private final DeviceExprEvaluator evaluator;
  private final int[] meta;

  JoinKeys(List<Expr> keys, List<Field> fields, CudaDevice device, DeviceMemoryPool pool) {
    refOrdinal = new int[keys.size()];
    meta = new int[keys.size()];
    List<DeviceExprEvaluator.Output> outputs = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      Expr key = keys.get(k);
      meta[k] = JoinColumns.keyMeta(key.type());
      if (key instanceof ColumnRef ref) {
        refOrdinal[k] = ref.ordinal();
      } else {
        refOrdinal[k] = -1 - outputs.size();
        outputs.add(DeviceExprEvaluator.Output.value("key" + k, DeviceExpr.compile(key, fields)));
      }
    }
    evaluator = outputs.isEmpty() ? null : new DeviceExprEvaluator(device, pool, outputs);
  }

  int count() {
    return meta.length;
  }

  /**
   * Enqueues the key expressions over a morsel's columns (by ordinal of the side) and uploads the
   * kernels' view of the keys to scratch slots {@code pointerSlot} and {@code metaSlot}.
   *
   * @return the device arrays: column pointers, then descriptions
   */
  CUdeviceptr[] prepare(
      DeviceKernels k, List<DeviceColumn> byOrdinal, int rows, int pointerSlot, int metaSlot) {
    List<DeviceColumn> evaluated =
        evaluator == null ? List.of() : evaluator.evaluate(byOrdinal, rows, k.stream).columns();
    CUdeviceptr[] pointers = new CUdeviceptr[2 * meta.length];
    for (int j = 0; j < meta.length; j++) {
      DeviceColumn c =
          refOrdinal[j] >= 0 ? byOrdinal.get(refOrdinal[j]) : evaluated.get(-1 - refOrdinal[j]);
      if (c.typeWidth() != (meta[j] & 0xff)) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Join key column "
                + c.name()
                + " arrived with "
                + c.typeWidth()
                + " bytes per value, expected "
                + (meta[j] & 0xff));
      }
      pointers[2 * j] = c.values();
      pointers[2 * j + 1] = c.validity();
    }
    CUdeviceptr p = k.scratch(pointerSlot, pointers.length * 8L, "join key column pointers");
    k.upload(pointers, p);
    CUdeviceptr m = k.scratch(metaSlot, meta.length * 4L, "join key column widths");
    k.upload(meta, m);
    return new CUdeviceptr[] {p, m};
  }

  @Override
  public void close() {
    if (evaluator != null) {
      evaluator.close();
    }
  }
}
