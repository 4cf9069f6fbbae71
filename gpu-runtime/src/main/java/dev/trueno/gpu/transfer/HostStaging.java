package dev.trueno.gpu.transfer;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.FieldVector;

/**
 * Writes the staged part of a morsel's needed columns (see {@link CopyPlan}) into a staging buffer:
 * slices concatenated, validity (and boolean) bits realigned so that row 0 of the morsel is bit 0.
 *
 * <p>This is on the producer's critical path (a morsel is 128 MiB), so it works on raw addresses:
 * values move with one bulk {@code copyMemory} per slice and bits 64 at a time ({@link BitCopy}).
 * The bounds that Arrow's accessors would check are checked once per slice instead, since a raw
 * read past a buffer can crash the JVM.
 */
final class HostStaging {
  private HostStaging() {}

  /** Writes all of {@code slices} into {@code staging}, which mirrors the layout from byte 0. */
  static void write(List<Morsel.Slice> slices, List<ColumnLayout> layout, ByteBuffer staging) {
    if (!staging.isDirect()) {
      throw new IllegalArgumentException("Staging needs a direct buffer");
    }
    write(
        slices,
        layout,
        CopyPlan.allStaged(layout),
        MemoryUtil.getByteBufferAddress(staging),
        staging.capacity());
  }

  /**
   * Writes the staged part of {@code slices}, as {@code plan} says, into the {@code capacity} bytes
   * at {@code staging}.
   */
  static void write(
      List<Morsel.Slice> slices,
      List<ColumnLayout> layout,
      CopyPlan plan,
      long staging,
      long capacity) {
    if (plan.stagingBytes() > capacity) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Staging buffer of " + capacity + " bytes is too small for " + plan);
    }
    for (int c = 0; c < layout.size(); c++) {
      ColumnLayout column = layout.get(c);
      // Bitmaps are always staged whole; the bit copies OR bits in, so they start from zeros
      // (which are also the padding bits of the last byte).
      long validity = staging + plan.stagingPosition(column.validityOffset());
      MemoryUtil.setMemory(validity, column.validityBytes(), (byte) 0);
      long bitValues = 0;
      if (column.typeWidth() == 0) {
        bitValues = staging + plan.stagingPosition(column.valuesOffset());
        MemoryUtil.setMemory(bitValues, column.valuesBytes(), (byte) 0);
      }
      long row = 0;
      for (Morsel.Slice slice : slices) {
        FieldVector vector = slice.columns().get(c);
        int n = slice.rowCount();
        long from = slice.fromRow();
        BitCopy.copy(bits(vector.getValidityBuffer(), from, n, column), from, validity, row, n);
        if (column.typeWidth() == 0) {
          BitCopy.copy(bits(vector.getDataBuffer(), from, n, column), from, bitValues, row, n);
        } else {
          long width = column.typeWidth();
          long at = plan.stagingPosition(column.valuesOffset() + row * width);
          if (at >= 0) {
            ArrowBuf data = vector.getDataBuffer();
            check(data, from * width, n * width, column);
            MemoryUtil.copyMemory(data.memoryAddress() + from * width, staging + at, n * width);
          }
        }
        row += n;
      }
    }
  }

  /** The address of {@code buffer}, once checked to hold bits {@code [from, from + n)}. */
  private static long bits(ArrowBuf buffer, long from, long n, ColumnLayout column) {
    long first = from >>> 3;
    check(buffer, first, ((from + n + 7) >>> 3) - first, column);
    return buffer.memoryAddress();
  }

  private static void check(ArrowBuf buffer, long offset, long bytes, ColumnLayout column) {
    if (offset + bytes > buffer.capacity()) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "Cannot stage column "
              + column.name()
              + ": bytes ["
              + offset
              + ", "
              + (offset + bytes)
              + ") are outside its Arrow buffer of "
              + buffer.capacity()
              + " bytes");
    }
  }
}
