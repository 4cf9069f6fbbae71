package dev.trueno.simd.vector;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.types.Field;
import dev.trueno.simd.vector.join.JoinHashTable;
import dev.trueno.simd.vector.join.JoinKey;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The vectorized build side: each build batch taken over by Arrow transfer (no copy), extended by
 * its computed key columns, and indexed by a {@link JoinHashTable}, which counts the batches and
 * its own arrays against the budget. After {@link #finish}, the build's columns are {@link
 * JoinGather.Source}s over all batches, read-only, so a build without match tracking serves several
 * probing threads.
 */
final class VectorJoinBuild implements JoinBuild {
  final JoinPlan plan;
  final JoinHashTable table;
  private final BufferAllocator allocator;
  private final JoinKeyColumns keys;
  private final Scratch scratch = new Scratch();
  private final List<VectorSchemaRoot> batches = new ArrayList<>();
  private VectorSchemaRoot empty;

  /** Per build column, its vectors in every build batch; set by {@link #finish}. */
  JoinGather.Source[] columns;

  private boolean finished;
  private boolean broken;
  private boolean closed;
  private boolean probed;

  VectorJoinBuild(JoinPlan plan, BufferAllocator allocator, long budgetBytes) {
    this.plan = plan;
    this.allocator = allocator;
    this.keys = new JoinKeyColumns(plan.buildKeys(), plan.buildFields());
    List<JoinKey> tableKeys = new ArrayList<>();
    for (int ordinal : keys.ordinals()) {
      tableKeys.add(JoinKey.of(ordinal));
    }
    this.table = new JoinHashTable(tableKeys, budgetBytes, plan.tracksBuildMatches());
  }

  @Override
  public void add(VectorSchemaRoot batch) {
    checkUsable();
    if (finished) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot add a build batch to a join build after finish()");
    }
    List<FieldVector> vectors = new ArrayList<>();
    VectorSchemaRoot own;
    try {
      for (FieldVector v : batch.getFieldVectors()) {
        TransferPair tp = v.getTransferPair(allocator);
        tp.transfer();
        vectors.add((FieldVector) tp.getTo());
      }
      int rows = batch.getRowCount();
      VectorSchemaRoot taken = new VectorSchemaRoot(new ArrayList<>(vectors));
      taken.setRowCount(rows);
      vectors.addAll(keys.compute(taken, allocator, scratch));
      own = new VectorSchemaRoot(vectors);
      own.setRowCount(rows);
    } catch (RuntimeException e) {
      vectors.forEach(FieldVector::close);
      broken = true;
      throw e;
    }
    try {
      table.add(own);
    } catch (RuntimeException e) {
      // Over budget: free this batch now; the build is unusable and the caller closes it.
      own.close();
      broken = true;
      throw e;
    }
    batches.add(own);
  }

  @Override
  public void finish() {
    checkUsable();
    finished = true;
    List<Field> fields = plan.buildFields();
    if (batches.isEmpty()) {
      // No build rows: sources over one empty batch, so that output vectors still get made.
      empty = VectorSchemaRoot.create(ArrowSchemas.arrowSchema(fields), allocator);
    }
    columns = new JoinGather.Source[fields.size()];
    for (int c = 0; c < columns.length; c++) {
      List<FieldVector> perBatch = new ArrayList<>();
      for (VectorSchemaRoot b : batches) {
        perBatch.add(b.getVector(c));
      }
      FieldVector prototype = batches.isEmpty() ? empty.getVector(c) : perBatch.get(0);
      columns[c] = JoinGather.Source.of(perBatch, prototype);
    }
  }

  /** Marks the build as probed, refusing a second probe where build matches are tracked. */
  void startProbe() {
    checkUsable();
    if (!finished) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot probe a join build before its finish() was called");
    }
    synchronized (this) {
      if (plan.tracksBuildMatches() && probed) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "This "
                + plan.type()
                + " join build tracks matched build rows and can be probed by one probe only");
      }
      probed = true;
    }
  }

  @Override
  public long rowCount() {
    return table.buildRowCount();
  }

  @Override
  public long sizeBytes() {
    return table.usedBytes();
  }

  private void checkUsable() {
    if (closed) {
      throw new TruenoException(ErrorCode.INTERNAL, "The join build is closed");
    }
    if (broken) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The join build failed while adding a build batch and cannot be used; close it");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    table.close();
    for (VectorSchemaRoot b : batches) {
      b.close();
    }
    batches.clear();
    if (empty != null) {
      empty.close();
    }
  }
}
