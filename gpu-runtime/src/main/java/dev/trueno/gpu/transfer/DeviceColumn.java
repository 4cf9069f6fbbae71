package dev.trueno.gpu.transfer;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.types.DataType;
import jcuda.driver.CUdeviceptr;

/**
 * One column of a {@link Transfer} in device memory, valid until the transfer is closed.
 *
 * @param name the column's name
 * @param rowCount the morsel's rows
 * @param typeWidth bytes per value, or 0 for bit-packed booleans
 * @param validity the Arrow validity bitmap, row 0 at bit 0 of byte 0
 * @param values the values, row 0 first (bit-packed like the validity when {@code typeWidth} is 0)
 */
public record DeviceColumn(
    String name, int rowCount, int typeWidth, CUdeviceptr validity, CUdeviceptr values) {
  /**
   * Bytes per value of a column of {@code type} as transfers lay it out (0: bit-packed boolean;
   * decimals as 16-byte two's complement).
   *
   * @throws TruenoException INTERNAL for strings, which never reach a kernel
   */
  public static int widthOf(DataType type) {
    return switch (type.kind()) {
      case BOOLEAN -> 0;
      case BYTE -> 1;
      case SHORT -> 2;
      case INT, DATE, FLOAT -> 4;
      case LONG, DOUBLE, TIMESTAMP -> 8;
      case DECIMAL -> 16;
      case STRING ->
          throw new TruenoException(
              ErrorCode.INTERNAL, "A string column reached a GPU kernel, which reads fixed widths");
    };
  }
}
