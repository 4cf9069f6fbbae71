package dev.trueno.simd.calibration;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The plans and generated Arrow data with which calibration measures a backend's throughput per
 * {@link OperatorKind}, shared by the CPU calibration here and the GPU calibration in trueno-gpu so
 * that every backend is timed on the same work.
 *
 * <p><b>Throughput</b> is bytes of input per second: the sum, over the input columns the operator
 * reads, of their Arrow buffer sizes ({@code ValueVector.getBufferSize()}), divided by the wall
 * time of the operator from its creation until its last output batch is closed (a join build:
 * {@code add} of every batch and {@code finish}; a join probe: {@code probe} and draining {@code
 * next} for every batch, over a finished build). This is the figure the cost model divides an
 * operator's input bytes by, so its estimates use the same definition. Generating the data is not
 * timed.
 *
 * <p>The work, on nullable bigint columns (every value set) in batches of {@value #BATCH_ROWS}
 * rows:
 *
 * <ul>
 *   <li>{@link OperatorKind#REDUCTION}: {@code SUM(v)} over one column
 *   <li>{@link OperatorKind#FILTER}: {@code COUNT(*) FILTER (WHERE v < c)} over one column, about
 *       half the rows passing: the predicate pass with the cheapest consumer of its selection
 *   <li>{@link OperatorKind#HASH_AGGREGATE}: {@code SUM(v), COUNT(*) GROUP BY k} with {@value
 *       #GROUPS} groups
 *   <li>{@link OperatorKind#JOIN_BUILD}: the build side (key and one value, distinct keys) of an
 *       inner join, a quarter as many rows as the probe side
 *   <li>{@link OperatorKind#JOIN_PROBE}: the probe side (key and one value) of that join, about
 *       half the probe rows matching once
 * </ul>
 *
 * <p>All phases are {@link AggregateMode#PARTIAL} (the phase that reads a scan's rows). Data is
 * seeded, so two runs time the same bytes.
 */
public final class CalibrationWorkload {
  /** Rows per generated batch. */
  public static final int BATCH_ROWS = 1 << 16;

  /** Distinct grouping keys of the hash aggregation. */
  public static final int GROUPS = 1 << 16;

  /** Output batches are drained in batches of at most this many rows. */
  private static final int MAX_OUTPUT_ROWS = 1 << 16;

  private static final long SEED = 20261122L;

  private static final Field V = new Field("v", DataType.LONG, true);
  private static final Field K = new Field("k", DataType.LONG, true);
  private static final List<Field> PROBE =
      List.of(new Field("lk", DataType.LONG, true), new Field("lv", DataType.LONG, true));
  private static final List<Field> BUILD =
      List.of(new Field("rk", DataType.LONG, true), new Field("rv", DataType.LONG, true));

  /** The join both join kinds run: inner, build on the right, on {@code lk = rk}. */
  public static final JoinPlan JOIN_PLAN =
      new JoinPlan(
          JoinType.INNER,
          BuildSide.RIGHT,
          PROBE,
          BUILD,
          List.of(new ColumnRef(0, DataType.LONG, "lk")),
          List.of(new ColumnRef(0, DataType.LONG, "rk")),
          null);

  private final int rows;

  /**
   * A workload of {@code rows} input rows per measurement (the probe side's rows for joins; the
   * build side has a quarter as many).
   */
  public CalibrationWorkload(int rows) {
    if (rows < 4) {
      throw new IllegalArgumentException("a calibration workload needs at least 4 rows: " + rows);
    }
    this.rows = rows;
  }

  /** Input rows per measurement. */
  public int rows() {
    return rows;
  }

  /** The aggregation run for {@code kind}, one of REDUCTION, FILTER and HASH_AGGREGATE. */
  public static AggregatePlan aggregatePlan(OperatorKind kind) {
    ColumnRef v = new ColumnRef(0, DataType.LONG, "v");
    return switch (kind) {
      case REDUCTION ->
          new AggregatePlan(
              List.of(V),
              List.of(),
              List.of(),
              List.of(sum(v)),
              AggregateMode.PARTIAL,
              List.of(),
              List.of());
      case FILTER ->
          new AggregatePlan(
              List.of(V),
              List.of(),
              List.of(),
              List.of(
                  new AggregateCall(
                      AggregateFunction.COUNT_STAR,
                      null,
                      DataType.LONG,
                      DataType.LONG,
                      List.of(),
                      new Comparison(ComparisonOp.LESS_THAN, v, new Literal(0L, DataType.LONG)),
                      false)),
              AggregateMode.PARTIAL,
              List.of(),
              List.of());
      case HASH_AGGREGATE -> {
        ColumnRef value = new ColumnRef(1, DataType.LONG, "v");
        yield new AggregatePlan(
            List.of(K, V),
            List.of(new ColumnRef(0, DataType.LONG, "k")),
            List.of("k"),
            List.of(
                sum(value),
                new AggregateCall(
                    AggregateFunction.COUNT_STAR,
                    null,
                    DataType.LONG,
                    DataType.LONG,
                    List.of(),
                    null,
                    false)),
            AggregateMode.PARTIAL,
            List.of(),
            List.of());
      }
      case JOIN_BUILD, JOIN_PROBE ->
          throw new IllegalArgumentException(kind + " is a join: see JOIN_PLAN");
    };
  }

  private static AggregateCall sum(ColumnRef v) {
    return new AggregateCall(
        AggregateFunction.SUM,
        v,
        DataType.LONG,
        AggregateCall.sumType(DataType.LONG),
        List.of(),
        null,
        false);
  }

  /**
   * Why {@code backend} cannot run the work of {@code kind}, or null when it can; a backend that
   * cannot run here at all says so too.
   */
  public static String unsupportedReason(Backend backend, OperatorKind kind) {
    String reason = backend.unavailableReason();
    if (reason != null) {
      return reason;
    }
    return switch (kind) {
      case JOIN_BUILD, JOIN_PROBE -> backend.unsupportedReason(JOIN_PLAN);
      default -> backend.unsupportedReason(aggregatePlan(kind));
    };
  }

  /**
   * Runs the work of {@code kind} on {@code backend} at least {@code minRuns} times and then again
   * while less than {@code budgetNanos} have passed since the first run started, with fresh data
   * from {@code allocator} each time (operators take over their input's buffers), and returns the
   * best throughput in bytes per second. The budget lets a cold JIT compile the hot loops during
   * the first runs without fixing how many runs that takes. Every buffer is freed before this
   * returns.
   *
   * @throws TruenoException UNSUPPORTED naming the backend and kind when the backend cannot run the
   *     work; any failure of the backend itself as it was thrown
   */
  public double bestBytesPerSecond(
      Backend backend,
      OperatorKind kind,
      BufferAllocator allocator,
      int minRuns,
      long budgetNanos) {
    String reason = unsupportedReason(backend, kind);
    if (reason != null) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED,
          "Cannot calibrate the " + backend.name() + " backend for " + kind + ": " + reason);
    }
    double best = 0;
    long start = System.nanoTime();
    for (int run = 0; run < minRuns || System.nanoTime() - start < budgetNanos; run++) {
      best = Math.max(best, bytesPerSecond(backend, kind, allocator));
    }
    return best;
  }

  /** One timed run of the work of {@code kind}, in bytes of input per second. */
  public double bytesPerSecond(Backend backend, OperatorKind kind, BufferAllocator allocator) {
    return switch (kind) {
      case REDUCTION, FILTER -> aggregate(backend, kind, allocator, column(allocator));
      case HASH_AGGREGATE -> aggregate(backend, kind, allocator, keyed(allocator));
      case JOIN_BUILD, JOIN_PROBE -> join(backend, kind, allocator);
    };
  }

  private double aggregate(
      Backend backend, OperatorKind kind, BufferAllocator allocator, List<VectorSchemaRoot> input) {
    long bytes = bytes(input);
    long start;
    long end;
    try (Batches batches = new Batches(input)) {
      start = System.nanoTime();
      try (Aggregator aggregator = backend.createAggregator(aggregatePlan(kind), allocator)) {
        for (VectorSchemaRoot batch : batches.list) {
          aggregator.consume(batch);
        }
        drain(aggregator);
      }
      end = System.nanoTime();
    }
    return rate(bytes, start, end);
  }

  private static void drain(Aggregator aggregator) {
    for (VectorSchemaRoot out = aggregator.nextResult(MAX_OUTPUT_ROWS);
        out != null;
        out = aggregator.nextResult(MAX_OUTPUT_ROWS)) {
      out.close();
    }
  }

  private double join(Backend backend, OperatorKind kind, BufferAllocator allocator) {
    List<VectorSchemaRoot> buildInput = joinSide(allocator, BUILD, true);
    try (Batches build = new Batches(buildInput)) {
      long buildBytes = bytes(build.list);
      long buildStart = System.nanoTime();
      try (JoinBuild joinBuild = backend.createJoinBuild(JOIN_PLAN, allocator, Long.MAX_VALUE)) {
        for (VectorSchemaRoot batch : build.list) {
          joinBuild.add(batch);
        }
        joinBuild.finish();
        long buildEnd = System.nanoTime();
        if (kind == OperatorKind.JOIN_BUILD) {
          return rate(buildBytes, buildStart, buildEnd);
        }
        try (Batches probe = new Batches(joinSide(allocator, PROBE, false))) {
          long probeBytes = bytes(probe.list);
          long start = System.nanoTime();
          try (JoinProbe joinProbe = backend.createJoinProbe(JOIN_PLAN, joinBuild, allocator)) {
            for (VectorSchemaRoot batch : probe.list) {
              joinProbe.probe(batch);
              for (VectorSchemaRoot out = joinProbe.next(MAX_OUTPUT_ROWS);
                  out != null;
                  out = joinProbe.next(MAX_OUTPUT_ROWS)) {
                out.close();
              }
            }
            for (VectorSchemaRoot out = joinProbe.finish(MAX_OUTPUT_ROWS);
                out != null;
                out = joinProbe.finish(MAX_OUTPUT_ROWS)) {
              out.close();
            }
          }
          return rate(probeBytes, start, System.nanoTime());
        }
      }
    }
  }

  private static double rate(long bytes, long startNanos, long endNanos) {
    // A clock that did not advance (a coarse timer) must not give an infinite figure.
    long nanos = Math.max(1, endNanos - startNanos);
    return bytes / (nanos / 1e9);
  }

  /** The Arrow buffer bytes of every column of the batches: each workload's input is all read. */
  private static long bytes(List<VectorSchemaRoot> batches) {
    long bytes = 0;
    for (VectorSchemaRoot batch : batches) {
      for (FieldVector v : batch.getFieldVectors()) {
        bytes += v.getBufferSize();
      }
    }
    return bytes;
  }

  /** One column {@code v}, uniform over all longs (so {@code v < 0} holds for about half). */
  private List<VectorSchemaRoot> column(BufferAllocator allocator) {
    SplittableRandom random = new SplittableRandom(SEED);
    return generate(allocator, List.of(V), rows, (row, cols) -> cols[0] = random.nextLong());
  }

  private List<VectorSchemaRoot> keyed(BufferAllocator allocator) {
    SplittableRandom random = new SplittableRandom(SEED);
    return generate(
        allocator,
        List.of(K, V),
        rows,
        (row, cols) -> {
          cols[0] = random.nextInt(GROUPS) * 7919L;
          cols[1] = random.nextInt(1_000_000);
        });
  }

  /**
   * The build side: keys 3 * i for i below a quarter of the rows, shuffled by a multiplicative
   * permutation; the probe side: keys 3 * i for i uniform over twice that range (half match).
   */
  private List<VectorSchemaRoot> joinSide(
      BufferAllocator allocator, List<Field> fields, boolean build) {
    int buildRows = Math.max(1, rows / 4);
    SplittableRandom random = new SplittableRandom(SEED);
    if (build) {
      return generate(
          allocator,
          fields,
          buildRows,
          (row, cols) -> {
            long i = (row * 2_654_435_761L) % buildRows;
            cols[0] = i * 3;
            cols[1] = i ^ 0x5555;
          });
    }
    return generate(
        allocator,
        fields,
        rows,
        (row, cols) -> {
          cols[0] = random.nextInt(2 * buildRows) * 3L;
          cols[1] = row;
        });
  }

  @FunctionalInterface
  private interface RowFiller {
    void fill(long row, long[] columns);
  }

  private static List<VectorSchemaRoot> generate(
      BufferAllocator allocator, List<Field> fields, int rowCount, RowFiller filler) {
    List<VectorSchemaRoot> out = new ArrayList<>();
    long[] values = new long[fields.size()];
    try {
      for (int from = 0; from < rowCount; from += BATCH_ROWS) {
        int n = Math.min(BATCH_ROWS, rowCount - from);
        VectorSchemaRoot root =
            VectorSchemaRoot.create(ArrowSchemas.arrowSchema(fields), allocator);
        out.add(root);
        BigIntVector[] vectors = new BigIntVector[fields.size()];
        for (int c = 0; c < vectors.length; c++) {
          vectors[c] = (BigIntVector) root.getVector(c);
          vectors[c].allocateNew(n);
        }
        for (int i = 0; i < n; i++) {
          filler.fill(from + i, values);
          for (int c = 0; c < vectors.length; c++) {
            vectors[c].set(i, values[c]);
          }
        }
        root.setRowCount(n);
      }
      return out;
    } catch (RuntimeException e) {
      out.forEach(VectorSchemaRoot::close);
      throw e;
    }
  }

  /** Closes every batch, also those an operator failed on before taking them over. */
  private static final class Batches implements AutoCloseable {
    final List<VectorSchemaRoot> list;

    Batches(List<VectorSchemaRoot> list) {
      this.list = list;
    }

    @Override
    public void close() {
      list.forEach(VectorSchemaRoot::close);
    }
  }
}
