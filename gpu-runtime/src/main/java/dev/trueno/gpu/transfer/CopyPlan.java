package dev.trueno.gpu.transfer;

import dev.trueno.core.morsel.Morsel;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;

/**
 * How the bytes of one morsel reach the device buffer laid out by {@link ColumnLayout}: some
 * straight from the Arrow buffers by DMA (zero copy), the rest written by {@link HostStaging} into
 * a pinned staging buffer and copied from there.
 *
 * <p><b>What goes direct.</b> The values of one slice of a fixed-width column, when they lie inside
 * one block of the {@link PinnedMemoryPool} (so the copy is a DMA, not a pageable copy the driver
 * stages itself) and are at least {@link #DIRECT_MIN_BYTES}: each copy costs a driver call and a
 * DMA setup of a few microseconds, in which the host copies that many bytes anyway. Bitmaps
 * (validity, and the values of boolean columns) are always staged: a slice rarely starts at a row
 * that is a multiple of 8 at both ends, the padding bits of the last byte must be zero, and they
 * are 1/64 of a bigint column's bytes, so realigning them on the host costs little.
 *
 * <p><b>Staged runs.</b> What is not copied direct is the complement of the direct pieces in the
 * layout: maximal runs, each packed one after the other into the staging buffer and copied with one
 * DMA. A morsel with nothing direct is one run, the whole layout, as before zero copy existed.
 */
final class CopyPlan {
  /** The smallest piece worth its own DMA rather than a host copy into the staging buffer. */
  static final long DIRECT_MIN_BYTES = 64L << 10;

  /** Bytes copied by DMA from host {@code hostAddress} to {@code deviceOffset} of the buffer. */
  record Direct(long deviceOffset, long hostAddress, long bytes) {}

  /** Layout bytes {@code [deviceOffset, deviceOffset + bytes)}, held at {@code stagingOffset}. */
  record Staged(long deviceOffset, long stagingOffset, long bytes) {}

  private final List<Direct> direct;
  private final List<Staged> staged;
  private final long stagingBytes;
  private final long directBytes;

  private CopyPlan(List<Direct> direct, List<Staged> staged) {
    this.direct = List.copyOf(direct);
    this.staged = List.copyOf(staged);
    this.stagingBytes = staged.stream().mapToLong(Staged::bytes).sum();
    this.directBytes = direct.stream().mapToLong(Direct::bytes).sum();
  }

  /** Everything staged: one run over the whole layout. */
  static CopyPlan allStaged(List<ColumnLayout> layout) {
    return of(List.of(), layout, null);
  }

  /**
   * The plan for {@code slices} in {@code layout}, copying direct what lies in {@code pinned}
   * (null: nothing is known to be pinned, so everything is staged).
   */
  static CopyPlan of(
      List<Morsel.Slice> slices, List<ColumnLayout> layout, PinnedMemoryPool pinned) {
    List<Direct> direct = new ArrayList<>();
    if (pinned != null) {
      for (int c = 0; c < layout.size(); c++) {
        ColumnLayout column = layout.get(c);
        long width = column.typeWidth();
        if (width == 0) {
          continue; // bit-packed: staged
        }
        long row = 0;
        for (Morsel.Slice slice : slices) {
          long bytes = slice.rowCount() * width;
          ArrowBuf values = slice.columns().get(c).getDataBuffer();
          long from = slice.fromRow() * width;
          if (bytes >= DIRECT_MIN_BYTES && from + bytes <= values.capacity()) {
            long address = values.memoryAddress() + from;
            if (pinned.contains(address, bytes)) {
              direct.add(new Direct(column.valuesOffset() + row * width, address, bytes));
            }
          }
          row += slice.rowCount();
        }
      }
    }
    // Pieces were added in layout order: the staged runs are the gaps between them.
    long end = dataEnd(layout);
    List<Staged> staged = new ArrayList<>();
    long cursor = 0;
    long packed = 0;
    for (Direct d : direct) {
      if (d.deviceOffset() > cursor) {
        staged.add(new Staged(cursor, packed, d.deviceOffset() - cursor));
        packed += d.deviceOffset() - cursor;
      }
      cursor = d.deviceOffset() + d.bytes();
    }
    if (end > cursor) {
      staged.add(new Staged(cursor, packed, end - cursor));
    }
    return new CopyPlan(direct, staged);
  }

  /** The end of the last column's values; the alignment padding after it need not be copied. */
  private static long dataEnd(List<ColumnLayout> layout) {
    if (layout.isEmpty()) {
      return 0;
    }
    ColumnLayout last = layout.get(layout.size() - 1);
    return last.valuesOffset() + last.valuesBytes();
  }

  /** The pieces copied straight from Arrow memory, in layout order. */
  List<Direct> direct() {
    return direct;
  }

  /** The staged runs, in layout order, packed from staging offset 0. */
  List<Staged> staged() {
    return staged;
  }

  /** The bytes the staging buffer must hold. */
  long stagingBytes() {
    return stagingBytes;
  }

  /** The bytes copied straight from Arrow memory. */
  long directBytes() {
    return directBytes;
  }

  /**
   * Where layout offset {@code offset} lies in the staging buffer, or -1 when it is copied direct.
   */
  long stagingPosition(long offset) {
    int low = 0;
    int high = staged.size() - 1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      Staged run = staged.get(middle);
      if (offset < run.deviceOffset()) {
        high = middle - 1;
      } else if (offset >= run.deviceOffset() + run.bytes()) {
        low = middle + 1;
      } else {
        return run.stagingOffset() + offset - run.deviceOffset();
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return "CopyPlan["
        + direct.size()
        + " direct pieces of "
        + directBytes
        + " bytes, "
        + staged.size()
        + " staged runs of "
        + stagingBytes
        + " bytes]";
  }
}
