package dev.trueno.gpu.transfer;

import dev.trueno.core.morsel.Morsel;
import dev.trueno.core.morsel.MorselPager;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Morsels of four columns (bigint, int, decimal(20, 2), boolean), each with its own null pattern
 * and values that depend only on the row's position in the stream, so that the same stream can be
 * built in two allocators (pinned and not) and the two transfers compared byte for byte.
 */
final class TestBatches {
  private TestBatches() {}

  /** All morsels of {@code rows} rows, cut from batches of {@code batchRows}. */
  static List<Morsel> of(BufferAllocator allocator, long rows, int batchRows, long morselBytes) {
    List<Morsel> morsels = new ArrayList<>();
    try (MorselPager pager = new MorselPager(allocator, List.of(0, 1, 2, 3), morselBytes)) {
      long row = 0;
      while (row < rows) {
        int n = (int) Math.min(batchRows, rows - row);
        BigIntVector longs = new BigIntVector("l", allocator);
        IntVector ints = new IntVector("i", allocator);
        DecimalVector decimals = new DecimalVector("d", allocator, 20, 2);
        BitVector bits = new BitVector("b", allocator);
        List<FieldVector> columns = List.of(longs, ints, decimals, bits);
        try (VectorSchemaRoot root = new VectorSchemaRoot(columns)) {
          columns.forEach(c -> c.setInitialCapacity(n));
          root.allocateNew();
          for (int i = 0; i < n; i++) {
            long r = row + i;
            if (r % 7 != 3) {
              longs.set(i, r * 1_000_003L);
            }
            if (r % 5 != 1) {
              ints.set(i, (int) (r ^ 0x5a5a5a));
            }
            if (r % 11 != 4) {
              decimals.set(i, BigDecimal.valueOf(r * 13 - 500, 2));
            }
            if (r % 13 != 6) {
              bits.set(i, r % 3 == 0 ? 1 : 0);
            }
          }
          root.setRowCount(n);
          morsels.addAll(pager.add(root));
        }
        row += n;
      }
      pager.flush().ifPresent(morsels::add);
    }
    return morsels;
  }
}
