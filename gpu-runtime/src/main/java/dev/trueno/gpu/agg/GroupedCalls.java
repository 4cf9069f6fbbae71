package dev.trueno.gpu.agg;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.CaseWhen;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import dev.trueno.gpu.expr.DeviceExpr;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * How each aggregate call of a grouped plan runs on the device hash table: which accumulators it
 * has, which kernel operations fill them (src/main/cuda/hash_aggregate.cu) and how a group's
 * accumulators become the Spark aggregation buffer the scalar backend would hold for that group.
 *
 * <p>Order-independent work runs as integer atomics ({@code agg_update}): counts, wrapping long
 * sums, exact 128-bit decimal sums with a 128-bit bound on the sum of absolute values, integer
 * min/max. Order-dependent work is folded in row order per group ({@code agg_fold_run}): double
 * sums (also AVG of integers, which Spark adds as doubles), double and float MIN/MAX (first value
 * wins ties, as Spark's Least/Greatest keep the buffer), and ANSI long sums of morsels where an
 * overflow is possible.
 */
final class GroupedCalls {
  // Operations of agg_update and agg_fold_run; must match hash_aggregate.cu.
  static final int UOP_COUNT_ROWS = 0;
  static final int UOP_COUNT_VALID = 1;
  static final int UOP_SUM64 = 2;
  static final int UOP_SUM128 = 3;
  static final int UOP_MIN64 = 4;
  static final int UOP_MAX64 = 5;
  static final int UOP_COUNT_NULL = 6;
  static final int UOP_COUNT_FALSE = 7;

  static final int FOP_DSUM = 0;
  static final int FOP_DMIN = 1;
  static final int FOP_DMAX = 2;
  static final int FOP_FMIN = 3;
  static final int FOP_FMAX = 4;
  static final int FOP_LSUM_EXACT = 5;

  /** One kernel operation: op code, input column (index into the needed columns), accumulator. */
  record Op(int op, int column, int acc) {}

  /**
   * An ANSI long SUM whose atomic update {@link #update} is replaced by an exact row-order fold in
   * morsels where the running sum could leave the long range.
   */
  record AnsiSum(int column, Op update, Op fold) {}

  /** The columns the kernels read, as input ordinals, each once: keys first. */
  final List<Integer> columns = new ArrayList<>();

  final int[] keyColumns;
  final List<DataType> keyTypes = new ArrayList<>();
  final List<Op> updates = new ArrayList<>();
  final List<Op> folds = new ArrayList<>();
  final List<AnsiSum> ansiSums = new ArrayList<>();
  final List<Long> accInit = new ArrayList<>();

  /** Keys and arguments that are expressions, evaluated on the GPU per morsel, in this order. */
  final List<Expr> exprs = new ArrayList<>();

  private final AggregatePlan plan;
  private final int[] firstAcc;

  GroupedCalls(AggregatePlan plan) {
    this.plan = plan;
    keyColumns = new int[plan.groupingKeys().size()];
    for (int k = 0; k < keyColumns.length; k++) {
      Expr key = plan.groupingKeys().get(k);
      keyColumns[k] = resolve(key);
      keyTypes.add(key.type());
    }
    firstAcc = new int[plan.calls().size()];
    for (int c = 0; c < plan.calls().size(); c++) {
      firstAcc[c] = accInit.size();
      AggregateCall call = plan.calls().get(c);
      if (plan.mode().mergesBuffers()) {
        planMerge(call);
      } else {
        planUpdate(call);
      }
    }
    // Expression outputs follow the transferred columns in the kernels' column array.
    int transferred = columns.size();
    for (int k = 0; k < keyColumns.length; k++) {
      keyColumns[k] = flat(keyColumns[k], transferred);
    }
    remap(updates, transferred);
    remap(folds, transferred);
    for (int i = 0; i < ansiSums.size(); i++) {
      AnsiSum a = ansiSums.get(i);
      ansiSums.set(
          i,
          new AnsiSum(
              flat(a.column(), transferred),
              new Op(a.update().op(), flat(a.update().column(), transferred), a.update().acc()),
              new Op(a.fold().op(), flat(a.fold().column(), transferred), a.fold().acc())));
    }
  }

  private static int flat(int column, int transferred) {
    return column < 0 && column != NO_COLUMN ? transferred + (-column - 2) : column;
  }

  private static void remap(List<Op> ops, int transferred) {
    for (int i = 0; i < ops.size(); i++) {
      Op o = ops.get(i);
      ops.set(i, new Op(o.op(), flat(o.column(), transferred), o.acc()));
    }
  }

  /** The column index of COUNT(*), which reads none. */
  static final int NO_COLUMN = -1;

  /**
   * The column holding {@code expr}'s values: a transferred input column for a column reference,
   * else an output of the GPU expression evaluator (encoded -2 - index until the constructor
   * flattens it), whose input columns are transferred too.
   */
  private int resolve(Expr expr) {
    if (expr instanceof ColumnRef ref) {
      return column(ref.ordinal());
    }
    int e = exprs.indexOf(expr);
    if (e < 0) {
      for (int ordinal : DeviceExpr.compile(expr, plan.input()).columnsRead()) {
        column(ordinal);
      }
      exprs.add(expr);
      e = exprs.size() - 1;
    }
    return -2 - e;
  }

  /**
   * The value a call aggregates: its argument, or with {@code FILTER (WHERE f)} {@code CASE WHEN f
   * THEN argument END}, which is NULL (skipped by every aggregate) where the filter is not true and
   * never evaluates the argument there (no ANSI error from filtered-out rows). COUNT(*) with a
   * filter counts the non-NULL values of {@code CASE WHEN f THEN true END}.
   */
  static Expr aggregated(AggregateCall call) {
    Expr arg =
        call.function() == dev.trueno.core.plan.AggregateFunction.COUNT_STAR
            ? new Literal(Boolean.TRUE, DataType.BOOLEAN)
            : call.argument();
    if (call.filter() == null) {
      return arg;
    }
    return new CaseWhen(List.of(new CaseWhen.Branch(call.filter(), arg)), null, arg.type());
  }

  /** The first accumulator of call {@code c}. */
  int firstAccumulator(int c) {
    return firstAcc[c];
  }

  int accumulators() {
    return accInit.size();
  }

  private int column(int ordinal) {
    int i = columns.indexOf(ordinal);
    if (i < 0) {
      columns.add(ordinal);
      i = columns.size() - 1;
    }
    return i;
  }

  private int acc(long init) {
    accInit.add(init);
    return accInit.size() - 1;
  }

  private void update(int op, int column) {
    int a = acc(op == UOP_MIN64 ? Long.MAX_VALUE : op == UOP_MAX64 ? Long.MIN_VALUE : 0);
    if (op == UOP_SUM128) {
      acc(0);
      acc(0);
      acc(0);
    }
    updates.add(new Op(op, column, a));
  }

  private void fold(int op, int column) {
    int a = acc(0); // the state (0: +0.0 for sums; MIN/MAX start from their first value)
    acc(0); // values folded
    folds.add(new Op(op, column, a));
  }

  private static int minMaxFold(AggregateCall call, DataType type) {
    boolean min = call.function() == dev.trueno.core.plan.AggregateFunction.MIN;
    return type.kind() == TypeKind.FLOAT
        ? (min ? FOP_FMIN : FOP_FMAX)
        : (min ? FOP_DMIN : FOP_DMAX);
  }

  /** MIN/MAX read the same way from a value (update) or a buffer (merge) column. */
  private void minMax(AggregateCall call, DataType type, int column) {
    if (type.kind().isFloating()) {
      fold(minMaxFold(call, type), column);
    } else {
      update(UOP_COUNT_VALID, column);
      update(
          call.function() == dev.trueno.core.plan.AggregateFunction.MIN ? UOP_MIN64 : UOP_MAX64,
          column);
    }
  }

  private void longSum(AggregateCall call, int column) {
    update(UOP_COUNT_VALID, column);
    int sum = acc(0);
    acc(0); // values folded when the exact fold runs
    Op atomic = new Op(UOP_SUM64, column, sum);
    if (call.ansi()) {
      ansiSums.add(new AnsiSum(column, atomic, new Op(FOP_LSUM_EXACT, column, sum)));
    } else {
      updates.add(atomic);
    }
  }

  private void planUpdate(AggregateCall call) {
    boolean rows =
        call.function() == dev.trueno.core.plan.AggregateFunction.COUNT_STAR
            && call.filter() == null;
    int arg = rows ? NO_COLUMN : resolve(aggregated(call));
    DataType type = call.argumentType();
    switch (call.function()) {
      case COUNT_STAR -> update(rows ? UOP_COUNT_ROWS : UOP_COUNT_VALID, arg);
      case COUNT -> update(UOP_COUNT_VALID, arg);
      case SUM -> {
        if (type.isDecimal()) {
          update(UOP_COUNT_VALID, arg);
          update(UOP_SUM128, arg);
        } else if (type.kind().isFloating()) {
          fold(FOP_DSUM, arg);
        } else {
          longSum(call, arg);
        }
      }
      case MIN, MAX -> minMax(call, type, arg);
      case AVG -> {
        if (type.isDecimal()) {
          update(UOP_COUNT_VALID, arg);
          update(UOP_SUM128, arg);
        } else {
          fold(FOP_DSUM, arg);
        }
      }
    }
  }

  private void planMerge(AggregateCall call) {
    List<Integer> buffer = call.bufferOrdinals();
    int b0 = column(buffer.get(0));
    DataType type = call.argumentType();
    switch (call.function()) {
      case COUNT_STAR, COUNT -> update(UOP_SUM64, b0);
      case SUM -> {
        if (type.isDecimal()) {
          update(UOP_COUNT_FALSE, column(buffer.get(1)));
          update(UOP_COUNT_NULL, b0);
          update(UOP_SUM128, b0);
        } else if (type.kind().isFloating()) {
          fold(FOP_DSUM, b0);
        } else {
          longSum(call, b0);
        }
      }
      case MIN, MAX -> minMax(call, type, b0);
      case AVG -> {
        int b1 = column(buffer.get(1));
        if (type.isDecimal()) {
          update(UOP_COUNT_NULL, b0);
          update(UOP_SUM128, b0);
        } else {
          fold(FOP_DSUM, b0);
          update(UOP_COUNT_NULL, b0);
        }
        update(UOP_SUM64, b1);
        update(UOP_COUNT_NULL, b1);
      }
    }
  }

  /**
   * The Spark aggregation buffer of call {@code c} for one group whose accumulators are {@code
   * acc}, in the scalar backend's physical form ({@code AggregateCall.bufferFields} order).
   */
  Object[] buffer(int c, long[] acc) {
    AggregateCall call = plan.calls().get(c);
    int a = firstAcc[c];
    DataType type = call.argumentType();
    boolean merge = plan.mode().mergesBuffers();
    return switch (call.function()) {
      case COUNT_STAR, COUNT -> new Object[] {acc[a]};
      case SUM -> {
        if (type.isDecimal()) {
          DataType sumType = AggregateCall.sumType(type);
          if (merge) {
            long notEmpty = acc[a];
            long overflowed = acc[a + 1];
            BigDecimal sum = overflowed > 0 ? null : decimal(acc, a + 2, sumType);
            yield new Object[] {sum, notEmpty == 0};
          }
          long count = acc[a];
          yield new Object[] {decimal(acc, a + 1, sumType), count == 0};
        }
        if (type.kind().isFloating()) {
          yield new Object[] {acc[a + 1] == 0 ? null : Double.longBitsToDouble(acc[a])};
        }
        yield new Object[] {acc[a] == 0 ? null : acc[a + 1]};
      }
      case MIN, MAX -> {
        if (type.kind() == TypeKind.FLOAT) {
          yield new Object[] {acc[a + 1] == 0 ? null : (double) Float.intBitsToFloat((int) acc[a])};
        }
        if (type.kind() == TypeKind.DOUBLE) {
          yield new Object[] {acc[a + 1] == 0 ? null : Double.longBitsToDouble(acc[a])};
        }
        yield new Object[] {acc[a] == 0 ? null : value(acc[a + 1], type)};
      }
      case AVG -> {
        if (type.isDecimal()) {
          DataType sumType = AggregateCall.avgSumType(type);
          if (merge) {
            // [NULL sums, sum (4 longs), count, NULL counts]: a NULL on either side stays NULL.
            BigDecimal sum = acc[a] > 0 ? null : decimal(acc, a + 1, sumType);
            yield new Object[] {sum, acc[a + 6] > 0 ? null : acc[a + 5]};
          }
          yield new Object[] {decimal(acc, a + 1, sumType), acc[a]};
        }
        if (merge) {
          Double sum = acc[a + 2] > 0 ? null : Double.longBitsToDouble(acc[a]);
          Long count = acc[a + 4] > 0 ? null : acc[a + 3];
          yield new Object[] {sum, count};
        }
        yield new Object[] {Double.longBitsToDouble(acc[a]), acc[a + 1]};
      }
    };
  }

  /**
   * The exact 128-bit sum at {@code acc[a..a+1]} as a decimal of {@code type}'s scale. Spark's
   * grouped buffers turn a running sum that leaves the type's precision into NULL at once; that
   * cannot happen while the sum of absolute values ({@code acc[a+2..a+3]}) stays below
   * 10^precision, which with inputs of at most 18 digits takes more than 10^10 rows per group.
   */
  private BigDecimal decimal(long[] acc, int a, DataType type) {
    BigInteger bound = unsigned128(acc[a + 2], acc[a + 3]);
    // Keyless aggregation keeps the exact sum and checks it only when emitted: no bound needed.
    if (!plan.groupingKeys().isEmpty()
        && bound.compareTo(BigInteger.TEN.pow(type.precision())) >= 0) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED,
          "A decimal sum on the GPU came within reach of "
              + type
              + "'s precision (sum of absolute values "
              + bound
              + "); whether Spark's running sum overflowed depends on the row order, which this"
              + " path does not keep. Run this aggregation with spark.trueno.backend=simd.");
    }
    BigInteger unscaled = BigInteger.valueOf(acc[a + 1]).shiftLeft(64).add(unsigned(acc[a]));
    return new BigDecimal(unscaled, type.scale());
  }

  private static BigInteger unsigned(long v) {
    BigInteger b = BigInteger.valueOf(v & Long.MAX_VALUE);
    return v < 0 ? b.setBit(63) : b;
  }

  private static BigInteger unsigned128(long low, long high) {
    return unsigned(high).shiftLeft(64).add(unsigned(low));
  }

  /** A key or MIN/MAX value held as a long, in the scalar backend's physical form. */
  static Object value(long v, DataType type) {
    return switch (type.kind()) {
      case BOOLEAN -> v != 0;
      case DECIMAL -> BigDecimal.valueOf(v, type.scale());
      default -> v;
    };
  }
}
