package dev.trueno.simd.vector;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.scalar.ScalarEval;
import dev.trueno.simd.vector.join.BuildRowCursor;
import dev.trueno.simd.vector.join.JoinHashTable;
import dev.trueno.simd.vector.join.ProbeCursor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The vectorized probe. Per probe batch: the keys of all rows are looked up at once ({@link
 * ProbeCursor}); candidate pairs come out in chunks of at most maxRows; the extra condition is
 * evaluated over a chunk with {@link BatchEval} on just the columns it reads, gathered for the
 * chunk; passing pairs are gathered into the output with {@link JoinGather}. Rows a probe row
 * contributes alone (NULL-extended, semi, anti, existence) follow its batch's pairs; rows the build
 * side contributes alone come from {@link #finish}.
 */
final class VectorJoinProbe implements JoinProbe {
  private static final int IDLE = 0;
  private static final int PAIRS = 1;
  private static final int TAIL = 2;

  private final JoinPlan plan;
  private final JoinType type;
  private final VectorJoinBuild build;
  private final JoinHashTable table;
  private final BufferAllocator allocator;
  private final Schema schema;
  private final List<Field> output;
  private final boolean probeIsLeft;
  private final int leftWidth;
  private final int rightWidth;
  private final Expr condition;
  private final boolean tracking;
  private final boolean probePreserved;
  private final JoinKeyColumns keys;
  private final Scratch scratch = new Scratch();

  private int phase = IDLE;
  private long probeRows;
  private int probeRowCount;
  private List<FieldVector> probeVectors;
  private JoinGather.Source[] probeColumns;
  private List<FieldVector> keyVectors = List.of();
  private ProbeCursor cursor;
  private boolean emitPairs;
  private boolean[] rowMatched;
  private int[] tailRows;
  private boolean[] tailFlags;
  private int tailCount;
  private int tailPos;

  private int[] probeIdx = new int[0];
  private int[] buildBatch = new int[0];
  private int[] buildRow = new int[0];

  private BuildRowCursor buildRows;
  private boolean buildRowsDone;
  private int allBatch;
  private int allRow;

  VectorJoinProbe(VectorJoinBuild build, BufferAllocator allocator) {
    this.plan = build.plan;
    this.type = plan.type();
    this.build = build;
    this.table = build.table;
    this.allocator = allocator;
    this.output = plan.output();
    this.schema = ArrowSchemas.arrowSchema(output);
    this.probeIsLeft = plan.buildSide() == BuildSide.RIGHT;
    this.leftWidth = plan.left().size();
    this.rightWidth = plan.right().size();
    this.condition = plan.condition();
    this.tracking = plan.tracksBuildMatches();
    this.probePreserved = probeIsLeft ? type.keepsUnmatchedLeft() : type.keepsUnmatchedRight();
    this.keys = new JoinKeyColumns(plan.probeKeys(), plan.probeFields());
  }

  @Override
  public void probe(VectorSchemaRoot batch) {
    if (phase != IDLE) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The previous probe batch was not drained with next() before probe()");
    }
    int n = batch.getRowCount();
    probeRows += n;
    probeRowCount = n;
    probeVectors = batch.getFieldVectors();
    keyVectors = keys.compute(batch, allocator, scratch);
    VectorSchemaRoot keyed = batch;
    if (!keyVectors.isEmpty()) {
      List<FieldVector> all = new ArrayList<>(probeVectors);
      all.addAll(keyVectors);
      List<org.apache.arrow.vector.types.pojo.Field> fields = new ArrayList<>();
      for (FieldVector v : all) {
        fields.add(v.getField());
      }
      // A view of the caller's batch plus the key vectors; setRowCount would resize its vectors.
      keyed = new VectorSchemaRoot(fields, all, n);
    }
    probeColumns = new JoinGather.Source[probeVectors.size()];
    for (int c = 0; c < probeColumns.length; c++) {
      FieldVector v = probeVectors.get(c);
      probeColumns[c] = JoinGather.Source.of(List.of(v), v);
    }
    emitPairs = type.outputsRight();
    boolean plain = condition == null;
    if (plain && emitPairs) {
      // The cursor emits the NULL-extended probe rows itself and marks the build rows it emits.
      cursor = table.probe(keyed, keys.ordinals(), probePreserved, tracking);
      phase = PAIRS;
    } else if (plain && probeIsLeft) {
      // Semi, anti, existence built on the right: whether a row has a match is all there is.
      cursor = table.probe(keyed, keys.ordinals(), false, false);
      phase = TAIL;
      prepareTail();
    } else if (plain && !probeIsLeft) {
      // Semi, anti, existence built on the left: mark the matched build rows, key by key.
      cursor = table.probe(keyed, keys.ordinals(), false, false);
      cursor.markAllMatches();
      phase = TAIL;
      prepareTail();
    } else {
      // A condition decides matches pair by pair.
      cursor = table.probe(keyed, keys.ordinals(), false, false);
      rowMatched = new boolean[n];
      phase = PAIRS;
    }
  }

  @Override
  public VectorSchemaRoot next(int maxRows) {
    checkMaxRows(maxRows);
    while (true) {
      if (phase == PAIRS) {
        ensureCapacity(maxRows);
        int n = cursor.next(probeIdx, buildBatch, buildRow, maxRows);
        if (n == 0) {
          phase = TAIL;
          prepareTail();
          continue;
        }
        if (condition != null) {
          n = keepPassing(n);
        }
        if (emitPairs && n > 0) {
          return emit(n, probeIdx, buildBatch, buildRow, null, 0);
        }
        continue;
      }
      if (phase == TAIL) {
        if (tailPos >= tailCount) {
          endBatch();
          return null;
        }
        int n = Math.min(maxRows, tailCount - tailPos);
        int[] rows = Arrays.copyOfRange(tailRows, tailPos, tailPos + n);
        VectorSchemaRoot out = emit(n, rows, null, null, tailFlags, tailPos);
        tailPos += n;
        return out;
      }
      return null;
    }
  }

  /** The probe rows to output alone once the batch's pairs are done. */
  private void prepareTail() {
    int n = probeRowCount;
    tailRows = new int[n];
    tailFlags = null;
    tailCount = 0;
    tailPos = 0;
    boolean outerTail = condition != null && probePreserved;
    if (!probeIsLeft) {
      if (outerTail) {
        for (int r = 0; r < n; r++) {
          tailRows[tailCount] = r;
          tailCount += rowMatched[r] ? 0 : 1;
        }
      }
      return;
    }
    switch (type) {
      case LEFT_OUTER, FULL_OUTER -> {
        if (outerTail) {
          for (int r = 0; r < n; r++) {
            tailRows[tailCount] = r;
            tailCount += rowMatched[r] ? 0 : 1;
          }
        }
      }
      case LEFT_SEMI -> {
        if (condition == null) {
          tailCount = cursor.matchedRows(tailRows);
        } else {
          for (int r = 0; r < n; r++) {
            tailRows[tailCount] = r;
            tailCount += rowMatched[r] ? 1 : 0;
          }
        }
      }
      case LEFT_ANTI -> {
        if (condition == null) {
          tailCount = cursor.unmatchedRows(tailRows);
        } else {
          for (int r = 0; r < n; r++) {
            tailRows[tailCount] = r;
            tailCount += rowMatched[r] ? 0 : 1;
          }
        }
      }
      case EXISTENCE -> {
        tailFlags = new boolean[n];
        for (int r = 0; r < n; r++) {
          tailRows[r] = r;
          tailFlags[r] = condition == null ? cursor.hasMatch(r) : rowMatched[r];
        }
        tailCount = n;
      }
      case INNER, RIGHT_OUTER -> {}
    }
  }

  private void endBatch() {
    phase = IDLE;
    cursor = null;
    rowMatched = null;
    tailRows = null;
    tailFlags = null;
    probeVectors = null;
    probeColumns = null;
    closeKeyVectors();
  }

  private void closeKeyVectors() {
    for (FieldVector v : keyVectors) {
      v.close();
    }
    keyVectors = List.of();
  }

  /**
   * Evaluates the condition over the first {@code n} candidate pairs, keeps the passing ones (in
   * order, at the front of the index arrays), records their matches and returns how many.
   */
  private int keepPassing(int candidates) {
    int n = emitPairs ? candidates : dropDecided(candidates);
    if (n == 0) {
      return 0;
    }
    scratch.reset();
    List<FieldVector> gathered = new ArrayList<>();
    try {
      Col[] cache = new Col[leftWidth + rightWidth];
      BatchEval.Source source =
          ordinal -> {
            Col c = cache[ordinal];
            if (c == null) {
              boolean left = ordinal < leftWidth;
              int column = left ? ordinal : ordinal - leftWidth;
              Field f = left ? plan.left().get(column) : plan.right().get(column);
              FieldVector v = ArrowSchemas.arrowField(f).createVector(allocator);
              gathered.add(v);
              gatherSide(left, column, n, probeIdx, buildBatch, buildRow, v);
              v.setValueCount(n);
              c = ArrowCols.read(v, f.type(), n, scratch);
              cache[ordinal] = c;
            }
            return c;
          };
      boolean[] pass = new boolean[n];
      try {
        Col result = new BatchEval(source, n, scratch).eval(condition);
        for (int i = 0; i < n; i++) {
          pass[i] = result.isTrue(i);
        }
      } catch (Deopt d) {
        // Row by row with the reference semantics, which raises the reference's error, if any.
        for (int i = 0; i < n; i++) {
          int row = i;
          pass[i] = ScalarEval.isTrue(ScalarEval.eval(condition, o -> source.col(o).value(row)));
        }
      }
      int m = 0;
      for (int i = 0; i < n; i++) {
        if (!pass[i]) {
          continue;
        }
        int p = probeIdx[i];
        int b = buildBatch[i];
        int r = buildRow[i];
        rowMatched[p] = true;
        if (tracking) {
          table.markMatched(b, r);
        }
        probeIdx[m] = p;
        buildBatch[m] = b;
        buildRow[m] = r;
        m++;
      }
      return m;
    } finally {
      gathered.forEach(FieldVector::close);
    }
  }

  /**
   * Drops the candidate pairs of a semi, anti or existence join whose outcome is already known: a
   * probe (left) row that already has a match, or a build (left) row already marked, needs no
   * further condition evaluated; returns how many pairs are left.
   */
  private int dropDecided(int n) {
    int m = 0;
    for (int i = 0; i < n; i++) {
      boolean decided =
          probeIsLeft ? rowMatched[probeIdx[i]] : table.isMatched(buildBatch[i], buildRow[i]);
      if (!decided) {
        probeIdx[m] = probeIdx[i];
        buildBatch[m] = buildBatch[i];
        buildRow[m] = buildRow[i];
        m++;
      }
    }
    return m;
  }

  /**
   * Fills {@code dst} with {@code n} rows of one side's column: the probe side's from {@code probe}
   * row numbers, the build side's from (batch, row) pairs; null arrays or -1 rows are NULL.
   */
  private void gatherSide(
      boolean left, int column, int n, int[] probe, int[] batches, int[] rows, FieldVector dst) {
    if (left == probeIsLeft) {
      if (probe == null) {
        JoinGather.nulls(dst, n);
      } else {
        JoinGather.gather(probeColumns[column], null, probe, n, dst);
      }
    } else {
      if (rows == null) {
        JoinGather.nulls(dst, n);
      } else {
        JoinGather.gather(build.columns[column], batches, rows, n, dst);
      }
    }
  }

  /** An output batch of {@code n} rows from probe rows and build rows (null: that side NULL). */
  private VectorSchemaRoot emit(
      int n, int[] probe, int[] batches, int[] rows, boolean[] flags, int flagsFrom) {
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
    try {
      List<FieldVector> vectors = root.getFieldVectors();
      for (int c = 0; c < leftWidth; c++) {
        gatherSide(true, c, n, probe, batches, rows, vectors.get(c));
      }
      if (type.outputsRight()) {
        for (int c = 0; c < rightWidth; c++) {
          gatherSide(false, c, n, probe, batches, rows, vectors.get(leftWidth + c));
        }
      } else if (type == JoinType.EXISTENCE) {
        JoinGather.flags(flags, flagsFrom, n, (BitVector) vectors.get(leftWidth));
      }
      root.setRowCount(n);
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  @Override
  public VectorSchemaRoot finish(int maxRows) {
    checkMaxRows(maxRows);
    if (phase != IDLE) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "The last probe batch was not drained with next() before finish()");
    }
    if (!tracking || buildRowsDone) {
      return null;
    }
    ensureCapacity(maxRows);
    if (type == JoinType.EXISTENCE) {
      return existenceRows(maxRows);
    }
    if (buildRows == null) {
      buildRows =
          type == JoinType.LEFT_SEMI ? table.matchedBuildRows() : table.unmatchedBuildRows();
    }
    int n = buildRows.next(buildBatch, buildRow, maxRows);
    if (n == 0) {
      buildRowsDone = true;
      return null;
    }
    return emit(n, null, buildBatch, buildRow, null, 0);
  }

  /** Every build (left) row with whether it matched: the existence join built on the left. */
  private VectorSchemaRoot existenceRows(int maxRows) {
    boolean[] flags = new boolean[maxRows];
    int n = 0;
    while (n < maxRows && allBatch < table.batchCount()) {
      int rows = table.batch(allBatch).getRowCount();
      if (allRow >= rows) {
        allBatch++;
        allRow = 0;
        continue;
      }
      buildBatch[n] = allBatch;
      buildRow[n] = allRow;
      flags[n] = table.isMatched(allBatch, allRow);
      allRow++;
      n++;
    }
    if (n == 0) {
      buildRowsDone = true;
      return null;
    }
    return emit(n, null, buildBatch, buildRow, flags, 0);
  }

  private void ensureCapacity(int maxRows) {
    if (probeIdx.length < maxRows) {
      probeIdx = new int[maxRows];
      buildBatch = new int[maxRows];
      buildRow = new int[maxRows];
    }
  }

  private static void checkMaxRows(int maxRows) {
    if (maxRows <= 0) {
      throw new TruenoException(ErrorCode.INTERNAL, "maxRows must be positive, was " + maxRows);
    }
  }

  @Override
  public long probeRows() {
    return probeRows;
  }

  @Override
  public void close() {
    closeKeyVectors();
    cursor = null;
    phase = IDLE;
  }
}
