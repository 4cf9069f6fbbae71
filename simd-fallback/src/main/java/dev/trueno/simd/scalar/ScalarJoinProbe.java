package dev.trueno.simd.scalar;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The scalar reference probe: for each probe row, its key tuple's build rows from the build's hash
 * map, the extra condition evaluated pair by pair over boxed values, and output rows written one
 * value at a time. A candidate pair whose condition is NULL or false does not match.
 */
final class ScalarJoinProbe implements JoinProbe {
  private static final int[] NO_ROWS = new int[0];

  private final JoinPlan plan;
  private final JoinType type;
  private final ScalarJoinBuild build;
  private final BufferAllocator allocator;
  private final List<Field> output;
  private final Schema outputSchema;
  private final boolean probeIsLeft;
  private final int leftWidth;
  private final List<DataType> keyTypes = new ArrayList<>();

  private List<FieldVector> probeVectors;
  private int probeRowCount;
  private int row;
  private int[] candidates;
  private int candidateCount;
  private int next;
  private boolean matchedAny;
  private boolean active;
  private long probeRows;
  private int finishRow;

  ScalarJoinProbe(ScalarJoinBuild build, BufferAllocator allocator) {
    this.plan = build.plan;
    this.type = plan.type();
    this.build = build;
    this.allocator = allocator;
    this.output = plan.output();
    this.outputSchema = ArrowSchemas.arrowSchema(output);
    this.probeIsLeft = plan.buildSide() == BuildSide.RIGHT;
    this.leftWidth = plan.left().size();
    for (Expr key : plan.probeKeys()) {
      keyTypes.add(key.type());
    }
  }

  @Override
  public void probe(VectorSchemaRoot batch) {
    if (active) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The previous probe batch was not drained with next() before probe()");
    }
    probeVectors = batch.getFieldVectors();
    probeRowCount = batch.getRowCount();
    probeRows += probeRowCount;
    row = 0;
    candidates = null;
    active = true;
  }

  @Override
  public VectorSchemaRoot next(int maxRows) {
    checkMaxRows(maxRows);
    if (!active) {
      return null;
    }
    List<Object[]> out = new ArrayList<>();
    boolean stopAtFirstMatch = probeIsLeft && !type.outputsRight();
    boolean skipMatchedBuildRows = !probeIsLeft && !type.outputsRight();
    while (row < probeRowCount) {
      if (candidates == null) {
        lookUp(row);
        next = 0;
        matchedAny = false;
      }
      if (next < candidateCount) {
        if (out.size() == maxRows) {
          break;
        }
        int g = candidates[next++];
        if (skipMatchedBuildRows && build.matched.get(g)) {
          // A left semi, anti or existence join built on the left needs one match per build row.
          continue;
        }
        if (!conditionHolds(row, g)) {
          continue;
        }
        matchedAny = true;
        if (build.matched != null) {
          build.matched.set(g);
        }
        if (type.outputsRight()) {
          out.add(pair(row, g));
        } else if (stopAtFirstMatch) {
          next = candidateCount;
        }
        continue;
      }
      Object[] tail = probeRowTail(row, matchedAny);
      if (tail != null) {
        if (out.size() == maxRows) {
          break;
        }
        out.add(tail);
      }
      row++;
      candidates = null;
    }
    if (row >= probeRowCount) {
      active = false;
    }
    return out.isEmpty() ? null : batch(out);
  }

  @Override
  public VectorSchemaRoot finish(int maxRows) {
    checkMaxRows(maxRows);
    if (active) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "The last probe batch was not drained with next() before finish()");
    }
    if (build.matched == null) {
      return null;
    }
    List<Object[]> out = new ArrayList<>();
    int rows = build.rows();
    while (finishRow < rows && out.size() < maxRows) {
      int g = finishRow++;
      Object[] values = buildRowTail(g, build.matched.get(g));
      if (values != null) {
        out.add(values);
      }
    }
    return out.isEmpty() ? null : batch(out);
  }

  private void lookUp(int r) {
    int[] current = {r};
    RowValues values = ordinal -> VectorValues.read(probeVectors.get(ordinal), current[0]);
    GroupKey key = ScalarJoinBuild.key(plan.probeKeys(), keyTypes, values);
    ScalarJoinBuild.RowList rows = key == null ? null : build.table.get(key);
    candidates = rows == null ? NO_ROWS : rows.rows;
    candidateCount = rows == null ? 0 : rows.size;
  }

  private Object buildValue(int g, int ordinal) {
    int b = build.batchOf(g);
    return VectorValues.read(build.batches.get(b).getVector(ordinal), g - build.batchStart(b));
  }

  private Object probeValue(int r, int ordinal) {
    return VectorValues.read(probeVectors.get(ordinal), r);
  }

  /** The value of joined column {@code ordinal} (left ++ right) for probe row r and build row g. */
  private Object joined(int r, int g, int ordinal) {
    boolean left = ordinal < leftWidth;
    int c = left ? ordinal : ordinal - leftWidth;
    return left == probeIsLeft ? probeValue(r, c) : buildValue(g, c);
  }

  private boolean conditionHolds(int r, int g) {
    Expr condition = plan.condition();
    return condition == null
        || ExprEvaluator.isTrue(ExprEvaluator.eval(condition, ordinal -> joined(r, g, ordinal)));
  }

  private Object[] pair(int r, int g) {
    Object[] values = new Object[output.size()];
    for (int c = 0; c < values.length; c++) {
      values[c] = joined(r, g, c);
    }
    return values;
  }

  /** The output row a probe row contributes after its last candidate, or null. */
  private Object[] probeRowTail(int r, boolean matched) {
    if (probeIsLeft) {
      return switch (type) {
        case LEFT_OUTER, FULL_OUTER -> matched ? null : sideRow(r, true, true);
        case LEFT_SEMI -> matched ? sideRow(r, true, true) : null;
        case LEFT_ANTI -> matched ? null : sideRow(r, true, true);
        case EXISTENCE -> existenceRow(r, true, matched);
        case INNER, RIGHT_OUTER -> null;
      };
    }
    return !matched && type.keepsUnmatchedRight() ? sideRow(r, false, true) : null;
  }

  /** The output row build row g contributes after the last probe batch, or null. */
  private Object[] buildRowTail(int g, boolean matched) {
    if (probeIsLeft) {
      return !matched && type.keepsUnmatchedRight() ? sideRow(g, false, false) : null;
    }
    return switch (type) {
      case LEFT_OUTER, FULL_OUTER -> matched ? null : sideRow(g, true, false);
      case LEFT_SEMI -> matched ? sideRow(g, true, false) : null;
      case LEFT_ANTI -> matched ? null : sideRow(g, true, false);
      case EXISTENCE -> existenceRow(g, false, matched);
      case INNER, RIGHT_OUTER -> null;
    };
  }

  /**
   * One side's row with the other side NULL (or absent when the output has only the left side).
   *
   * @param left whether the row is a left row
   * @param fromProbe whether it is read from the probe batch (else {@code r} is a build row)
   */
  private Object[] sideRow(int r, boolean left, boolean fromProbe) {
    Object[] values = new Object[output.size()];
    int from = left ? 0 : leftWidth;
    int width = left ? leftWidth : plan.right().size();
    for (int c = 0; c < width; c++) {
      values[from + c] = fromProbe ? probeValue(r, c) : buildValue(r, c);
    }
    return values;
  }

  private Object[] existenceRow(int r, boolean fromProbe, boolean matched) {
    Object[] values = sideRow(r, true, fromProbe);
    values[leftWidth] = matched;
    return values;
  }

  private VectorSchemaRoot batch(List<Object[]> rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(outputSchema, allocator);
    try {
      root.allocateNew();
      for (int r = 0; r < rows.size(); r++) {
        Object[] values = rows.get(r);
        for (int c = 0; c < values.length; c++) {
          VectorValues.write(root.getVector(c), r, values[c], output.get(c).type());
        }
      }
      root.setRowCount(rows.size());
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
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
    probeVectors = null;
    active = false;
  }
}
