package dev.trueno.gpu.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.morsel.Morsel;
import dev.trueno.core.morsel.MorselPager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Morsels of one bigint column whose value is the row's position in the stream and which is null on
 * every 7th row; batches of an odd size so that slices start at unaligned rows.
 */
final class TestMorsels {
  private TestMorsels() {}

  static boolean isNull(long row) {
    return row % 7 == 3;
  }

  /** All morsels of {@code rows} rows, cut from batches of {@code batchRows}. */
  static List<Morsel> of(BufferAllocator allocator, long rows, int batchRows, long morselBytes) {
    List<Morsel> morsels = new ArrayList<>();
    try (MorselPager pager = new MorselPager(allocator, List.of(0), morselBytes)) {
      long row = 0;
      while (row < rows) {
        int n = (int) Math.min(batchRows, rows - row);
        BigIntVector v = new BigIntVector("row", allocator);
        v.allocateNew(n);
        for (int i = 0; i < n; i++) {
          if (isNull(row + i)) {
            v.setNull(i);
          } else {
            v.set(i, row + i);
          }
        }
        v.setValueCount(n);
        try (VectorSchemaRoot root = VectorSchemaRoot.of(v)) {
          root.setRowCount(n);
          morsels.addAll(pager.add(root));
        }
        row += n;
      }
      pager.flush().ifPresent(morsels::add);
    }
    return morsels;
  }

  /**
   * Checks that {@code staged} (a transfer's buffer, at byte 0) holds rows {@code [firstRow,
   * firstRow + rows)} in {@code layout}'s single column.
   */
  static void check(ByteBuffer staged, ColumnLayout layout, long firstRow) {
    ByteBuffer b = staged.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < layout.rowCount(); i++) {
      long row = firstRow + i;
      int bits = b.get((int) (layout.validityOffset() + i / 8));
      boolean valid = ((bits >>> (i % 8)) & 1) == 1;
      assertThat(valid).as("validity of row %d", row).isEqualTo(!isNull(row));
      if (valid) {
        assertThat(b.getLong((int) (layout.valuesOffset() + 8L * i)))
            .as("value of row %d", row)
            .isEqualTo(row);
      }
    }
    // The padding bits of the last validity byte are zero.
    int rest = layout.rowCount() % 8;
    if (rest != 0) {
      int last = b.get((int) (layout.validityOffset() + layout.rowCount() / 8)) & 0xFF;
      assertThat(last >>> rest).as("padding bits").isZero();
    }
  }
}
