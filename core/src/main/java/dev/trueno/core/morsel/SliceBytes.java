package dev.trueno.core.morsel;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.ValueVector;

/**
 * The byte size of a run of rows of Arrow columns, as the morsel pager counts it.
 *
 * <p>The size of rows {@code [fromRow, fromRow + rowCount)} of a column is the size those rows have
 * as a standalone Arrow vector, which is exactly what {@code splitAndTransfer(fromRow, rowCount)}
 * followed by {@code getBufferSize()} reports, and what a device copy holds once the validity bits
 * are realigned to bit 0 and the offsets rebased to 0:
 *
 * <ul>
 *   <li>validity: {@code ceil(rowCount / 8)} bytes, for every column (Arrow keeps a validity buffer
 *       even for non-nullable fields, and kernels read it);
 *   <li>fixed-width values: {@code rowCount * typeWidth} bytes; booleans {@code ceil(rowCount /
 *       8)};
 *   <li>variable-width values: {@code (rowCount + 1)} offsets of 4 bytes (8 for the large types)
 *       plus the data bytes of exactly those rows, {@code offset[from + n] - offset[from]}.
 * </ul>
 *
 * <p>Not counted: the padding of Arrow allocations (to 8 or 64 bytes, or to a power of two), and
 * the one extra validity byte that copying the source bytes in place (without realigning the bits)
 * may need when {@code fromRow} is not a multiple of 8. Zero rows are zero bytes.
 */
public final class SliceBytes {
  private SliceBytes() {}

  /**
   * The bytes of rows {@code [fromRow, fromRow + rowCount)} of one column.
   *
   * @throws IndexOutOfBoundsException if the rows are not within the vector's value count
   * @throws TruenoException UNSUPPORTED for vectors that are not fixed-width, boolean or
   *     variable-width with offsets (lists, structs, views, ...)
   */
  public static long of(ValueVector column, int fromRow, int rowCount) {
    checkSupported(column);
    Objects.checkFromIndexSize(fromRow, rowCount, column.getValueCount());
    if (rowCount == 0) {
      return 0;
    }
    long validity = (rowCount + 7L) / 8;
    // BitVector extends BaseFixedWidthVector with a type width of 0: test it first.
    if (column instanceof BitVector) {
      return 2 * validity;
    }
    if (column instanceof BaseFixedWidthVector fixed) {
      return validity + (long) rowCount * fixed.getTypeWidth();
    }
    if (column instanceof BaseVariableWidthVector variable) {
      long data =
          (long) variable.getStartOffset(fromRow + rowCount) - variable.getStartOffset(fromRow);
      return validity + (long) BaseVariableWidthVector.OFFSET_WIDTH * (rowCount + 1) + data;
    }
    BaseLargeVariableWidthVector large = (BaseLargeVariableWidthVector) column;
    // getStartOffset is protected on the large vectors: read the 8-byte offsets directly.
    long width = BaseLargeVariableWidthVector.OFFSET_WIDTH;
    long data =
        large.getOffsetBuffer().getLong(width * (fromRow + rowCount))
            - large.getOffsetBuffer().getLong(width * fromRow);
    return validity + width * (rowCount + 1) + data;
  }

  /**
   * The bytes of rows {@code [fromRow, fromRow + rowCount)} of several columns of one batch: the
   * sum of {@link #of} over the columns.
   */
  public static long ofColumns(List<? extends ValueVector> columns, int fromRow, int rowCount) {
    long bytes = 0;
    for (ValueVector column : columns) {
      bytes += of(column, fromRow, rowCount);
    }
    return bytes;
  }

  /** Throws UNSUPPORTED, naming the column, when {@link #of} cannot size it. */
  static void checkSupported(ValueVector column) {
    if (column instanceof BaseFixedWidthVector
        || column instanceof BaseVariableWidthVector
        || column instanceof BaseLargeVariableWidthVector) {
      return;
    }
    throw new TruenoException(
        ErrorCode.UNSUPPORTED,
        "Cannot cut column "
            + column.getField().getName()
            + " into morsels: Arrow vector "
            + column.getClass().getSimpleName()
            + " of type "
            + column.getField().getType()
            + " is not fixed-width or variable-width; run this operator on the CPU");
  }
}
