package dev.trueno.gpu.transfer;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;

/**
 * Where one column of a morsel lies in a transfer's staging and device buffers: its validity bitmap
 * (realigned to bit 0) and its values, the morsel's slices concatenated.
 *
 * @param name the column's name, for messages
 * @param rowCount the morsel's rows
 * @param typeWidth bytes per value, or 0 for a bit-packed boolean column
 * @param validityOffset the byte offset of the validity bitmap from the buffer's start
 * @param valuesOffset the byte offset of the values from the buffer's start
 * @param valuesBytes the byte size of the values
 */
record ColumnLayout(
    String name,
    int rowCount,
    int typeWidth,
    long validityOffset,
    long valuesOffset,
    long valuesBytes) {

  /** Each region starts at this alignment, enough for coalesced loads of any type. */
  static final long ALIGNMENT = 256;

  /** The bytes of the validity bitmap. */
  long validityBytes() {
    return (rowCount + 7L) / 8;
  }

  /**
   * The layout of every needed column of {@code slices}, which come from one pager and so hold the
   * same columns in the same order.
   *
   * @throws TruenoException UNSUPPORTED for a column that is not fixed-width (strings go through
   *     dictionary codes or stay on the CPU)
   */
  static List<ColumnLayout> of(List<Morsel.Slice> slices) {
    if (slices.isEmpty()) {
      return List.of();
    }
    int rows = 0;
    for (Morsel.Slice s : slices) {
      rows += s.rowCount();
    }
    List<FieldVector> first = slices.get(0).columns();
    List<ColumnLayout> layout = new ArrayList<>(first.size());
    long offset = 0;
    for (FieldVector column : first) {
      int width = typeWidth(column);
      long validityOffset = offset;
      offset = align(offset + (rows + 7L) / 8);
      long valuesBytes = width == 0 ? (rows + 7L) / 8 : (long) rows * width;
      layout.add(
          new ColumnLayout(
              column.getField().getName(), rows, width, validityOffset, offset, valuesBytes));
      offset = align(offset + valuesBytes);
    }
    return List.copyOf(layout);
  }

  /** The bytes a transfer with {@code layout} needs: the end of its last region. */
  static long totalBytes(List<ColumnLayout> layout) {
    if (layout.isEmpty()) {
      return 0;
    }
    ColumnLayout last = layout.get(layout.size() - 1);
    return align(last.valuesOffset + last.valuesBytes);
  }

  private static long align(long offset) {
    return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  private static int typeWidth(FieldVector column) {
    // BitVector extends BaseFixedWidthVector with a type width of 0: bit-packed values.
    if (column instanceof BitVector) {
      return 0;
    }
    if (column instanceof BaseFixedWidthVector fixed) {
      return fixed.getTypeWidth();
    }
    throw new TruenoException(
        ErrorCode.UNSUPPORTED,
        "Cannot copy column "
            + column.getField().getName()
            + " to the GPU: Arrow vector "
            + column.getClass().getSimpleName()
            + " of type "
            + column.getField().getType()
            + " is not fixed-width; run this operator on the CPU");
  }
}
