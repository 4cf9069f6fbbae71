package dev.trueno.spark.exec;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.arrow.ArrowWriter;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.ArrowUtils;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * Presents an operator's input as Arrow batches: Arrow-backed Spark batches are used in place; rows
 * (and non-Arrow columnar batches, row by row) are written into Arrow once.
 */
final class ArrowInput {
  private ArrowInput() {}

  /** The Arrow schema Spark uses for {@code schema} in this session's time zone. */
  static Schema arrowSchema(StructType schema, String timeZone) {
    return ArrowUtils.toArrowSchema(schema, timeZone, false, false);
  }

  /**
   * Batches of at most {@code maxRows} rows written from {@code rows}. The returned root is reused:
   * each batch is valid until the next call to {@code next()}. The caller closes the root through
   * {@link Batches#close()}.
   */
  static Batches fromRows(
      Iterator<InternalRow> rows, Schema schema, BufferAllocator allocator, int maxRows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
    ArrowWriter writer = CompactDecimalWriter.create(root);
    return new Batches(root) {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public VectorSchemaRoot next() {
        if (!rows.hasNext()) {
          throw new NoSuchElementException();
        }
        converted = true;
        writer.reset();
        int n = 0;
        while (n < maxRows && rows.hasNext()) {
          writer.write(rows.next());
          n++;
        }
        writer.finish();
        return root;
      }
    };
  }

  /**
   * The batches of a columnar child: a batch whose columns are all Arrow-backed is wrapped without
   * copying; any other batch is written into Arrow row by row.
   */
  static Batches fromColumnar(
      Iterator<ColumnarBatch> batches, Schema schema, BufferAllocator allocator, int maxRows) {
    VectorSchemaRoot copyRoot = VectorSchemaRoot.create(schema, allocator);
    ArrowWriter writer = CompactDecimalWriter.create(copyRoot);
    return new Batches(copyRoot) {
      @Override
      public boolean hasNext() {
        return batches.hasNext();
      }

      @Override
      public VectorSchemaRoot next() {
        ColumnarBatch batch = batches.next();
        VectorSchemaRoot wrapped = wrapArrow(batch);
        converted = wrapped == null;
        if (wrapped != null) {
          return wrapped;
        }
        writer.reset();
        Iterator<InternalRow> it = batch.rowIterator();
        while (it.hasNext()) {
          writer.write(it.next());
        }
        writer.finish();
        return copyRoot;
      }
    };
  }

  /** A root over the batch's own Arrow vectors, or null when some column is not Arrow. */
  private static VectorSchemaRoot wrapArrow(ColumnarBatch batch) {
    List<FieldVector> vectors = new ArrayList<>(batch.numCols());
    for (int i = 0; i < batch.numCols(); i++) {
      ColumnVector c = batch.column(i);
      if (!(c instanceof ArrowColumnVector a) || !(a.getValueVector() instanceof FieldVector f)) {
        return null;
      }
      vectors.add(f);
    }
    VectorSchemaRoot root = new VectorSchemaRoot(vectors);
    root.setRowCount(batch.numRows());
    return root;
  }

  /**
   * A root of {@code into} that takes over {@code batch}'s buffers without copying: the batch's
   * vectors are left empty, so its producer may refill it (which allocates fresh buffers), and the
   * rows now count against {@code into}, not against the producer's allocator (one root, so no
   * copy). The caller closes the returned root.
   */
  static VectorSchemaRoot takeOver(VectorSchemaRoot batch, BufferAllocator into) {
    VectorSchemaRoot own = VectorSchemaRoot.create(batch.getSchema(), into);
    for (int i = 0; i < batch.getFieldVectors().size(); i++) {
      batch.getVector(i).makeTransferPair(own.getVector(i)).transfer();
    }
    own.setRowCount(batch.getRowCount());
    return own;
  }

  /** The Arrow buffer bytes of every column of a batch. */
  static long bytes(VectorSchemaRoot batch) {
    long n = 0;
    for (FieldVector v : batch.getFieldVectors()) {
      n += v.getBufferSize();
    }
    return n;
  }

  /** An iterator of Arrow batches that owns the buffers it writes into. */
  abstract static class Batches implements Iterator<VectorSchemaRoot>, AutoCloseable {
    private final VectorSchemaRoot owned;

    /** Whether the batch last returned was written into Arrow (rather than used in place). */
    protected boolean converted;

    Batches(VectorSchemaRoot owned) {
      this.owned = owned;
    }

    /** True when the batch last returned by {@link #next()} was converted, not used in place. */
    boolean lastBatchConverted() {
      return converted;
    }

    @Override
    public void close() {
      owned.close();
    }
  }
}
