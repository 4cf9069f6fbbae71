package dev.trueno.core.morsel;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Cuts a stream of Arrow batches into morsels of at most {@code maxBytes} of the columns a kernel
 * reads, keeping every row exactly once and in order.
 *
 * <p><b>Merging across batches by taking ownership.</b> Operators receive batches that are valid
 * only until the next one arrives, and Spark's batches are small (4096 rows by default) next to a
 * GPU morsel (128 MiB), so emitting one morsel per batch would pay a transfer and a kernel launch
 * per few kilobytes. The pager therefore takes over the needed columns of each batch with Arrow's
 * {@link TransferPair#transfer()}: their buffers move, without copying, to vectors owned by the
 * pager's allocator, and the batch's vectors for those columns are left empty (value count 0, no
 * buffers). A producer that refills the root allocates fresh buffers for them, so a refill can
 * never overwrite rows that a morsel still holds (which sharing by reference, as {@code
 * splitAndTransfer} does, could not promise). Columns that are not needed are left untouched. The
 * caller must not read the needed columns of a batch after handing it to {@link #add}.
 *
 * <p><b>Cutting.</b> A morsel is a list of slices (batch, first row, row count) over those owned
 * vectors, filled greedily: rows are added while the morsel's size, the sum of {@link SliceBytes}
 * of its slices, stays within {@code maxBytes}; when the next row does not fit, the morsel is
 * emitted and the next one starts with that row. A morsel may therefore span several batches and
 * end or start inside one. A single row that alone exceeds {@code maxBytes} (a long string) cannot
 * be split, so it becomes a morsel of its own, larger than {@code maxBytes}: consumers size their
 * buffers from {@link Morsel#byteSize()}, not from {@code maxBytes}. A morsel has at most {@code
 * Integer.MAX_VALUE} rows so that kernels can index it with ints; with no needed columns (COUNT(*))
 * that is the only limit.
 *
 * <p><b>Memory.</b> The buffers of a batch live until every morsel holding some of its rows is
 * closed, and the pager itself holds the rows of its open (not yet emitted) morsel, at most {@code
 * maxBytes} plus the rest of their batches. With {@code k} morsels in flight the pager's allocator
 * therefore holds about {@code (k + 1) * (maxBytes + one batch)}. Batches must come from an
 * allocator with the same root as the pager's (Arrow moves accounting only within one root).
 *
 * <p>A pager is used by one thread; the morsels it returns may be closed on any thread.
 */
public final class MorselPager implements AutoCloseable {
  private final BufferAllocator allocator;
  private final int[] columns;
  private final long maxBytes;
  private final int maxRows;

  private long batches;
  private final List<Morsel.Slice> openSlices = new ArrayList<>();
  private final List<Page> openPages = new ArrayList<>();
  private long openBytes;
  private int openRows;
  private boolean closed;

  /**
   * A pager that moves the needed columns into {@code allocator} and cuts morsels of at most {@code
   * maxBytes} of them.
   *
   * @param allocator the allocator that accounts for the rows the pager and its morsels hold
   * @param columns the ordinals, in the batches' schema, of the columns the kernel reads; distinct,
   *     possibly empty; the morsels' columns follow this order
   * @param maxBytes the budget of one morsel (the GPU uses {@code spark.trueno.morselBytes})
   * @throws TruenoException INVALID_CONFIG if {@code maxBytes} is not positive, INTERNAL if an
   *     ordinal is negative or repeated
   */
  public MorselPager(BufferAllocator allocator, List<Integer> columns, long maxBytes) {
    this(allocator, columns, maxBytes, Integer.MAX_VALUE);
  }

  /** As the public constructor, with a row limit per morsel so that tests can reach it. */
  MorselPager(BufferAllocator allocator, List<Integer> columns, long maxBytes, int maxRows) {
    if (maxBytes <= 0) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          "Morsel size must be positive, got "
              + maxBytes
              + " bytes; set spark.trueno.morselBytes to a positive size such as 128m");
    }
    if (maxRows <= 0) {
      throw new IllegalArgumentException("maxRows must be positive, got " + maxRows);
    }
    Set<Integer> seen = new HashSet<>();
    for (int ordinal : columns) {
      if (ordinal < 0 || !seen.add(ordinal)) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Morsel pager column ordinals must be distinct and non-negative, got " + columns);
      }
    }
    this.allocator = allocator;
    this.columns = columns.stream().mapToInt(Integer::intValue).toArray();
    this.maxBytes = maxBytes;
    this.maxRows = maxRows;
  }

  /**
   * Takes the needed columns of {@code batch} and returns the morsels it completed, in order.
   *
   * <p>The caller owns the returned morsels and must close each one. Rows that do not complete a
   * morsel stay in the pager until later batches fill it or {@link #flush()} emits it. A batch of 0
   * rows is ignored and keeps its columns.
   *
   * @throws TruenoException INTERNAL if an ordinal is outside the batch's schema or a column has
   *     fewer values than the batch has rows, UNSUPPORTED if a needed column is not fixed-width or
   *     variable-width; in both cases nothing was taken from the batch
   */
  public List<Morsel> add(VectorSchemaRoot batch) {
    checkOpen();
    int rows = batch.getRowCount();
    List<FieldVector> sources = neededColumns(batch);
    long index = batches++;
    if (rows == 0) {
      return List.of();
    }
    List<FieldVector> owned = new ArrayList<>(sources.size());
    for (FieldVector source : sources) {
      TransferPair pair = source.getTransferPair(allocator);
      pair.transfer();
      owned.add((FieldVector) pair.getTo());
    }
    Page page = new Page(index, owned);
    List<Morsel> out = new ArrayList<>();
    try {
      cut(page, rows, out);
      return out;
    } catch (RuntimeException | Error e) {
      // The caller never sees these morsels, so it cannot close them.
      out.forEach(Morsel::close);
      throw e;
    } finally {
      // The open morsel retained the page if it holds some of its rows.
      page.release();
    }
  }

  /**
   * Emits the morsel still being filled, if it has rows; call it after the last batch. The pager
   * may receive more batches afterwards. The caller owns and closes the returned morsel.
   */
  public Optional<Morsel> flush() {
    checkOpen();
    return openRows == 0 ? Optional.empty() : Optional.of(emit());
  }

  /** The rows received but not yet emitted in a morsel. */
  public int pendingRows() {
    return openRows;
  }

  /**
   * Drops the rows not yet emitted (when a task fails or is cancelled); morsels already returned
   * stay valid until closed. Closing twice is harmless.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Page page : openPages) {
      page.release();
    }
    openPages.clear();
    openSlices.clear();
    openRows = 0;
    openBytes = 0;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("MorselPager is closed");
    }
  }

  /** The needed columns of a batch, checked before anything is taken from it. */
  private List<FieldVector> neededColumns(VectorSchemaRoot batch) {
    List<FieldVector> vectors = batch.getFieldVectors();
    List<FieldVector> needed = new ArrayList<>(columns.length);
    for (int ordinal : columns) {
      if (ordinal >= vectors.size()) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Morsel pager reads column "
                + ordinal
                + " but the batch has only "
                + vectors.size()
                + " columns: "
                + batch.getSchema());
      }
      FieldVector vector = vectors.get(ordinal);
      SliceBytes.checkSupported(vector);
      if (vector.getValueCount() < batch.getRowCount()) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Column "
                + vector.getField().getName()
                + " has "
                + vector.getValueCount()
                + " values but its batch has "
                + batch.getRowCount()
                + " rows");
      }
      needed.add(vector);
    }
    return needed;
  }

  /** Adds rows {@code [0, rows)} of {@code page} to the open morsel, emitting full ones. */
  private void cut(Page page, int rows, List<Morsel> out) {
    List<FieldVector> owned = page.columns();
    int from = 0;
    while (from < rows) {
      int limit = Math.min(rows - from, maxRows - openRows);
      int count = limit == 0 ? 0 : fittingRows(owned, from, limit, maxBytes - openBytes);
      if (count == 0) {
        if (openRows > 0) {
          out.add(emit());
          continue;
        }
        // Even one row does not fit an empty morsel: it cannot be split, so it goes alone.
        count = 1;
      }
      long bytes = SliceBytes.ofColumns(owned, from, count);
      page.retain();
      openPages.add(page);
      openSlices.add(new Morsel.Slice(page.batch(), from, count, bytes, owned));
      openBytes += bytes;
      openRows += count;
      from += count;
      // Rows left in this batch mean the next one did not fit; a full morsel takes no more rows.
      if (from < rows || openBytes >= maxBytes || openRows == maxRows) {
        out.add(emit());
      }
    }
  }

  /**
   * The most rows from {@code from}, at most {@code limit}, whose bytes fit in {@code room}. The
   * size grows with the row count, so a binary search finds it in O(log n) size computations.
   */
  private static int fittingRows(List<FieldVector> owned, int from, int limit, long room) {
    if (SliceBytes.ofColumns(owned, from, limit) <= room) {
      return limit; // the common case: the whole rest of the batch fits
    }
    int fits = 0; // invariant: fits rows fit, tooMany rows do not
    int tooMany = limit;
    while (tooMany - fits > 1) {
      int middle = (fits + tooMany) >>> 1;
      if (SliceBytes.ofColumns(owned, from, middle) <= room) {
        fits = middle;
      } else {
        tooMany = middle;
      }
    }
    return fits;
  }

  /** Hands the open morsel, with its page references, to the caller and starts an empty one. */
  private Morsel emit() {
    Morsel morsel = new Morsel(openSlices, openPages, openRows, openBytes);
    openSlices.clear();
    openPages.clear();
    openRows = 0;
    openBytes = 0;
    return morsel;
  }
}
