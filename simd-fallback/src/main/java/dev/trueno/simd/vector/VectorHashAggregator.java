package dev.trueno.simd.vector;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.scalar.ScalarEval;
import dev.trueno.simd.vector.kernels.Hashing;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Hash aggregation a column at a time: per batch, the keys, filters and arguments are evaluated
 * into columns (plain column references read the Arrow buffers in place, computed values go to
 * scratch arrays reused across batches), keys are hashed column-wise (Vector API kernels over Arrow
 * buffers where a key is a plain column), rows get group ids from an open-addressing table, and
 * each aggregate folds its (group id, value) pairs in one loop. Global aggregates over plain
 * columns use the Vector API reductions in place.
 *
 * <p>Errors follow the scalar reference exactly: vectorized steps never raise a user error
 * themselves; when one would, the batch is evaluated row by row in the reference's order and the
 * rows before the failing one are aggregated first (so an overflow in an earlier row wins), then
 * the reference's error is raised. Groups are numbered, and output, in first-seen order.
 */
final class VectorHashAggregator implements Aggregator {
  private final AggregatePlan plan;
  private final BufferAllocator allocator;
  private final List<Field> output;
  private final Schema outputSchema;
  private final boolean global;
  private final boolean merge;
  private final GroupTable table;
  private final AggStates.State[] states;
  private final Scratch scratch = new Scratch();
  private long inputRows;
  private boolean resultsStarted;
  private int emitted;

  VectorHashAggregator(AggregatePlan plan, BufferAllocator allocator) {
    this.plan = plan;
    this.allocator = allocator;
    this.output = plan.output();
    this.outputSchema = ArrowSchemas.arrowSchema(output);
    this.global = plan.groupingKeys().isEmpty();
    this.merge = plan.mode().mergesBuffers();
    DataType[] keyTypes = new DataType[plan.groupingKeys().size()];
    for (int k = 0; k < keyTypes.length; k++) {
      keyTypes[k] = plan.groupingKeys().get(k).type();
    }
    this.table = global ? null : new GroupTable(keyTypes);
    List<AggregateCall> calls = plan.calls();
    states = new AggStates.State[calls.size()];
    for (int c = 0; c < states.length; c++) {
      // Spark checks decimal buffers on every update only where they live in UnsafeRows (grouped).
      states[c] = AggStates.create(calls.get(c), !global);
      if (global) {
        states[c].grow(1);
      }
    }
  }

  /** The evaluated inputs of one batch. */
  private static final class Inputs {
    Col[] keys;
    Col[][] args;
    boolean[][] selections;
    long[][] selectionBits;
    TruenoException pending;
    int errorRow;
    boolean errorKeysDone;
    int errorCallsDone;
  }

  @Override
  public void consume(VectorSchemaRoot batch) {
    if (resultsStarted) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot consume input after the first nextResult call");
    }
    int n = batch.getRowCount();
    if (n == 0) {
      return;
    }
    List<FieldVector> vectors = batch.getFieldVectors();
    // Arrays of the previous batch's columns are free again: nothing holds them past its consume.
    scratch.reset();
    Col[] cache = new Col[vectors.size()];
    BatchEval.Source source =
        ordinal -> {
          Col c = cache[ordinal];
          if (c == null) {
            c = ArrowCols.read(vectors.get(ordinal), plan.input().get(ordinal).type(), n, scratch);
            cache[ordinal] = c;
          }
          return c;
        };
    Inputs in;
    boolean vectorized = true;
    try {
      in = vectorized(source, n);
    } catch (Deopt d) {
      vectorized = false;
      in = rowByRow(batch, source, n);
    }
    TruenoException pending = in.pending;
    int keyRows = pending == null ? n : in.errorRow + (in.errorKeysDone ? 1 : 0);
    int[] gids = null;
    if (!global) {
      gids = scratch.ints(n);
      assignGroups(in.keys, vectorized ? vectors : null, keyRows, gids);
      for (AggStates.State s : states) {
        s.grow(table.size());
      }
    }
    List<AggregateCall> calls = plan.calls();
    for (int c = 0; c < states.length; c++) {
      int to =
          pending == null ? n : in.errorRow + (in.errorKeysDone && c < in.errorCallsDone ? 1 : 0);
      if (to == 0) {
        continue;
      }
      AggregateCall call = calls.get(c);
      if (merge) {
        states[c].merge(gids, in.args[c], 0, to);
        continue;
      }
      if (global
          && pending == null
          && vectorized
          && (call.filter() == null || in.selectionBits[c] != null)
          && call.argument() instanceof ColumnRef ref
          && vectors.get(ref.ordinal()).getValueCount() == n
          && states[c].reduce(vectors.get(ref.ordinal()), in.selectionBits[c])) {
        continue;
      }
      Col arg = in.args[c] == null ? null : in.args[c][0];
      states[c].update(gids, arg, in.selections[c], 0, to);
    }
    if (pending != null) {
      throw pending;
    }
    inputRows += n;
  }

  private Inputs vectorized(BatchEval.Source source, int n) {
    BatchEval eval = new BatchEval(source, n, scratch);
    Inputs in = new Inputs();
    List<Expr> keys = plan.groupingKeys();
    in.keys = new Col[keys.size()];
    for (int k = 0; k < keys.size(); k++) {
      in.keys[k] = eval.eval(keys.get(k));
    }
    List<AggregateCall> calls = plan.calls();
    in.args = new Col[calls.size()][];
    in.selections = new boolean[calls.size()][];
    in.selectionBits = new long[calls.size()][];
    for (int c = 0; c < calls.size(); c++) {
      AggregateCall call = calls.get(c);
      if (merge) {
        in.args[c] = bufferCols(call, source);
        continue;
      }
      if (call.filter() != null) {
        Col f = eval.eval(call.filter());
        boolean[] sel = scratch.booleans(n);
        for (int i = 0; i < n; i++) {
          sel[i] = f.isTrue(i);
        }
        in.selections[c] = sel;
        if (f.bits != null) {
          // The kept rows as a bitmap, for the global reductions over Arrow columns.
          long[] keep = scratch.words(n);
          for (int w = 0; w < keep.length && w < (n + 63) >>> 6; w++) {
            keep[w] = f.validBits == null ? f.bits[w] : f.bits[w] & f.validBits[w];
          }
          in.selectionBits[c] = keep;
        }
      }
      if (call.function() != AggregateFunction.COUNT_STAR) {
        // Evaluated for every row, filtered or not: an error here deopts to the row path, which
        // evaluates only the rows the filter keeps.
        in.args[c] = new Col[] {eval.eval(call.argument())};
      }
    }
    return in;
  }

  private static Col[] bufferCols(AggregateCall call, BatchEval.Source source) {
    List<Integer> ordinals = call.bufferOrdinals();
    Col[] cols = new Col[ordinals.size()];
    for (int b = 0; b < cols.length; b++) {
      cols[b] = source.col(ordinals.get(b));
    }
    return cols;
  }

  /** The reference's row-at-a-time evaluation order, stopping at the first error. */
  private Inputs rowByRow(VectorSchemaRoot batch, BatchEval.Source source, int n) {
    List<FieldVector> vectors = batch.getFieldVectors();
    List<Expr> keys = plan.groupingKeys();
    List<AggregateCall> calls = plan.calls();
    Object[][] keyValues = new Object[keys.size()][n];
    Object[][] argValues = new Object[calls.size()][n];
    boolean[][] selections = new boolean[calls.size()][];
    Inputs in = new Inputs();
    int[] current = new int[1];
    java.util.function.IntFunction<Object> row =
        ordinal -> ScalarEval.read(vectors.get(ordinal), current[0]);
    rows:
    for (int r = 0; r < n; r++) {
      current[0] = r;
      int k = 0;
      try {
        for (; k < keys.size(); k++) {
          keyValues[k][r] = ScalarEval.eval(keys.get(k), row);
        }
      } catch (TruenoException e) {
        in.pending = e;
        in.errorRow = r;
        break;
      }
      if (merge) {
        continue;
      }
      for (int c = 0; c < calls.size(); c++) {
        AggregateCall call = calls.get(c);
        try {
          if (call.filter() != null) {
            if (selections[c] == null) {
              selections[c] = new boolean[n];
            }
            boolean keep = ScalarEval.isTrue(ScalarEval.eval(call.filter(), row));
            selections[c][r] = keep;
            if (!keep) {
              continue;
            }
          }
          if (call.function() != AggregateFunction.COUNT_STAR) {
            argValues[c][r] = ScalarEval.eval(call.argument(), row);
          }
        } catch (TruenoException e) {
          in.pending = e;
          in.errorRow = r;
          in.errorKeysDone = true;
          in.errorCallsDone = c;
          break rows;
        }
      }
    }
    in.keys = new Col[keys.size()];
    for (int k = 0; k < keys.size(); k++) {
      in.keys[k] = Col.fromObjects(keys.get(k).type(), keyValues[k], n);
    }
    in.args = new Col[calls.size()][];
    in.selections = selections;
    for (int c = 0; c < calls.size(); c++) {
      AggregateCall call = calls.get(c);
      if (merge) {
        in.args[c] = bufferCols(call, source);
      } else if (call.function() != AggregateFunction.COUNT_STAR) {
        in.args[c] = new Col[] {Col.fromObjects(call.argumentType(), argValues[c], n)};
      }
    }
    return in;
  }

  private void assignGroups(Col[] keys, List<FieldVector> vectors, int rows, int[] gids) {
    int n = keys[0].rows;
    long[] hashes = scratch.longs(n);
    GroupTable.KeyCol[] canonical = new GroupTable.KeyCol[keys.length];
    List<Expr> keyExprs = plan.groupingKeys();
    for (int k = 0; k < keys.length; k++) {
      canonical[k] = table.canonical(k, keys[k]);
      FieldVector v =
          vectors != null && keyExprs.get(k) instanceof ColumnRef ref
              ? vectors.get(ref.ordinal())
              : null;
      if (v != null && v.getValueCount() == n && hashInPlace(v, hashes, k == 0)) {
        continue;
      }
      GroupTable.hash(canonical[k], n, hashes, k == 0);
    }
    table.assign(canonical, hashes, rows, gids);
  }

  /** Hashes a plain key column with the Vector API kernels, reading its Arrow buffers in place. */
  private static boolean hashInPlace(FieldVector v, long[] hashes, boolean first) {
    if (v instanceof BigIntVector || v instanceof TimeStampVector) {
      if (first) {
        Hashing.hashLongs((BaseFixedWidthVector) v, hashes);
      } else {
        Hashing.combineLongs((BaseFixedWidthVector) v, hashes);
      }
      return true;
    }
    if (v instanceof IntVector || v instanceof DateDayVector) {
      if (first) {
        Hashing.hashInts((BaseFixedWidthVector) v, hashes);
      } else {
        Hashing.combineInts((BaseFixedWidthVector) v, hashes);
      }
      return true;
    }
    if (v instanceof Float8Vector) {
      if (first) {
        Hashing.hashDoubles((BaseFixedWidthVector) v, hashes);
      } else {
        Hashing.combineDoubles((BaseFixedWidthVector) v, hashes);
      }
      return true;
    }
    return false;
  }

  @Override
  public VectorSchemaRoot nextResult(int maxRows) {
    if (maxRows <= 0) {
      throw new TruenoException(ErrorCode.INTERNAL, "maxRows must be positive, was " + maxRows);
    }
    resultsStarted = true;
    int total = global ? 1 : table.size();
    if (emitted >= total) {
      return null;
    }
    int count = Math.min(maxRows, total - emitted);
    Col[] cols;
    try {
      cols = outputColumns(emitted, count);
    } catch (TruenoException | Deopt e) {
      // Redo in the reference's order (group by group, call by call) so that the error raised is
      // the one the reference raises first, or none when the vectorized step only guessed.
      cols = outputRows(emitted, count);
    }
    VectorSchemaRoot root = VectorSchemaRoot.create(outputSchema, allocator);
    try {
      root.allocateNew();
      for (int c = 0; c < cols.length; c++) {
        ArrowCols.write(cols[c], root.getVector(c));
      }
      root.setRowCount(count);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
    emitted += count;
    return root;
  }

  private Col[] aggregateColumns(int from, int count) {
    List<Col> cols = new ArrayList<>();
    for (int k = 0; k < plan.groupingKeys().size(); k++) {
      cols.add(table.keys(k, from, count));
    }
    boolean results = plan.mode().outputsResults();
    for (AggStates.State s : states) {
      if (results) {
        cols.add(s.resultCol(from, count));
      } else {
        for (int b = 0; b < s.call.bufferFields().size(); b++) {
          cols.add(s.bufferCol(b, from, count));
        }
      }
    }
    return cols.toArray(new Col[0]);
  }

  private Col[] outputColumns(int from, int count) {
    Col[] agg = aggregateColumns(from, count);
    if (!plan.mode().outputsResults() || plan.resultProjection().isEmpty()) {
      return agg;
    }
    scratch.reset();
    BatchEval eval = new BatchEval(ordinal -> agg[ordinal], count, scratch);
    List<Expr> projection = plan.resultProjection();
    Col[] out = new Col[projection.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = eval.eval(projection.get(i));
    }
    return out;
  }

  private Col[] outputRows(int from, int count) {
    Col[] keys = new Col[plan.groupingKeys().size()];
    for (int k = 0; k < keys.length; k++) {
      keys[k] = table.keys(k, from, count);
    }
    boolean results = plan.mode().outputsResults();
    List<Expr> projection = plan.resultProjection();
    boolean project = results && !projection.isEmpty();
    Object[][] columns = new Object[output.size()][count];
    for (int i = 0; i < count; i++) {
      int g = from + i;
      List<Object> values = new ArrayList<>();
      for (Col key : keys) {
        values.add(key.value(i));
      }
      for (AggStates.State s : states) {
        if (results) {
          values.add(s.result(g));
        } else {
          for (Object b : s.buffer(g)) {
            values.add(b);
          }
        }
      }
      if (project) {
        for (int p = 0; p < projection.size(); p++) {
          columns[p][i] = ScalarEval.eval(projection.get(p), values::get);
        }
      } else {
        for (int c = 0; c < values.size(); c++) {
          columns[c][i] = values.get(c);
        }
      }
    }
    Col[] cols = new Col[output.size()];
    for (int c = 0; c < cols.length; c++) {
      cols[c] = Col.fromObjects(output.get(c).type(), columns[c], count);
    }
    return cols;
  }

  @Override
  public long inputRows() {
    return inputRows;
  }

  @Override
  public void close() {
    // Only Java arrays are held; result batches belong to the caller.
    for (int c = 0; c < states.length; c++) {
      states[c] = null;
    }
  }
}
