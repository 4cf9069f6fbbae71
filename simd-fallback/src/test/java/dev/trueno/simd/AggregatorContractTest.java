package dev.trueno.simd;

import static dev.trueno.simd.TestBatches.rowsOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.And;
import dev.trueno.core.expr.Arithmetic;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.CaseWhen;
import dev.trueno.core.expr.Cast;
import dev.trueno.core.expr.Coalesce;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.In;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.expr.Not;
import dev.trueno.core.expr.Or;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import net.jqwik.api.lifecycle.SkipExecutionHook.SkipResult;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/**
 * The hash aggregation contract every backend must meet, with Spark 4.1 as the oracle: expected
 * values are computed independently here (BigDecimal arithmetic, Spark's documented rules).
 * Subclasses name the backend; every test is also a leak check of the Arrow allocator.
 *
 * <p>A backend that runs only some of these plans (the GPU) says so in {@link #assumeRuns}: the
 * tests of the others are then reported as skipped with its reason.
 */
public abstract class AggregatorContractTest {
  protected BufferAllocator allocator;

  /** The backend under test. */
  protected abstract Backend backend();

  /**
   * Called with every plan before the suite runs it: a backend that runs only part of the
   * contract's plans aborts here (a JUnit assumption) with its reason for the others, so that they
   * show up as skipped tests that say why, never as passes. Plans it lets through must meet the
   * contract; the default lets every plan through.
   */
  protected void assumeRuns(AggregatePlan plan) {}

  @BeforeEach
  void openAllocator() {
    allocator = new RootAllocator(256L << 20);
  }

  @AfterEach
  void closeAllocator() {
    allocator.close();
  }

  // ---- plan helpers ----

  protected static ColumnRef col(int ordinal, DataType type) {
    return new ColumnRef(ordinal, type, "c" + ordinal);
  }

  protected static Literal lit(Object value, DataType type) {
    return new Literal(value, type);
  }

  protected static AggregateCall call(AggregateFunction f, Expr arg, boolean ansi) {
    DataType argType = arg == null ? DataType.LONG : arg.type();
    DataType result =
        switch (f) {
          case SUM -> AggregateCall.sumType(argType);
          case AVG -> AggregateCall.avgResultType(argType);
          case COUNT, COUNT_STAR -> DataType.LONG;
          case MIN, MAX -> argType;
        };
    return new AggregateCall(f, arg, argType, result, List.of(), null, ansi);
  }

  protected static AggregateCall call(AggregateFunction f, Expr arg) {
    return call(f, arg, false);
  }

  protected static AggregatePlan plan(
      List<Field> input, List<Expr> keys, List<AggregateCall> calls, AggregateMode mode) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      names.add("k" + i);
    }
    return new AggregatePlan(input, keys, names, calls, mode, List.of(), List.of());
  }

  protected static Field field(String name, DataType type) {
    return new Field(name, type, true);
  }

  /** Runs a plan over the given batches and returns all result rows. */
  protected List<List<Object>> runBatches(AggregatePlan plan, List<List<Object[]>> batches) {
    assumeRuns(plan);
    assertThat(backend().unsupportedReason(plan)).isNull();
    try (Aggregator agg = backend().createAggregator(plan, allocator)) {
      for (List<Object[]> rows : batches) {
        try (VectorSchemaRoot batch = TestBatches.batch(allocator, plan.input(), rows)) {
          agg.consume(batch);
        }
      }
      return TestBatches.drain(agg, 3);
    }
  }

  protected List<List<Object>> run(AggregatePlan plan, List<Object[]> rows) {
    return runBatches(plan, List.of(rows));
  }

  /** Evaluates {@code expr} on each row (column 0 is a distinct long id) by grouping on it. */
  protected List<Object> evalPerRow(List<Field> input, List<Object[]> rows, Expr expr) {
    List<List<Object>> out = new ArrayList<>(run(perRowPlan(input, expr), rows));
    out.sort(Comparator.comparing(r -> (Long) r.get(0)));
    List<Object> values = new ArrayList<>();
    for (List<Object> r : out) {
      values.add(r.get(1));
    }
    return values;
  }

  /** The plan {@link #evalPerRow} runs: group by the id column and {@code expr}. */
  protected static AggregatePlan perRowPlan(List<Field> input, Expr expr) {
    return plan(input, List.of(col(0, DataType.LONG), expr), List.of(), AggregateMode.COMPLETE);
  }

  private static final List<Field> LONGS =
      List.of(field("k", DataType.LONG), field("x", DataType.LONG));

  private static Object[] row(Object... values) {
    return values;
  }

  // ---- empty input, nulls, one row, many batches ----

  @Test
  void globalAggregateOfNoRowsIsOneRowOfNullsAndZeroCount() {
    ColumnRef x = col(1, DataType.LONG);
    AggregatePlan p =
        plan(
            LONGS,
            List.of(),
            List.of(
                call(AggregateFunction.SUM, x),
                call(AggregateFunction.COUNT, x),
                call(AggregateFunction.COUNT_STAR, null),
                call(AggregateFunction.MIN, x),
                call(AggregateFunction.AVG, x)),
            AggregateMode.COMPLETE);
    assertThat(run(p, List.of())).containsExactly(Arrays.asList(null, 0L, 0L, null, null));
  }

  @Test
  void groupedAggregateOfNoRowsHasNoRows() {
    ColumnRef x = col(1, DataType.LONG);
    AggregatePlan p =
        plan(
            LONGS,
            List.of(col(0, DataType.LONG)),
            List.of(call(AggregateFunction.SUM, x)),
            AggregateMode.COMPLETE);
    assertThat(run(p, List.of())).isEmpty();
  }

  @Test
  void partialOfNoRowsEmitsInitialBuffers() {
    Field dec = field("d", DataType.decimal(10, 2));
    List<Field> input = List.of(field("x", DataType.LONG), dec);
    ColumnRef x = col(0, DataType.LONG);
    ColumnRef d = col(1, DataType.decimal(10, 2));
    AggregatePlan p =
        plan(
            input,
            List.of(),
            List.of(
                call(AggregateFunction.SUM, x),
                call(AggregateFunction.SUM, d),
                call(AggregateFunction.COUNT, x),
                call(AggregateFunction.AVG, x),
                call(AggregateFunction.AVG, d),
                call(AggregateFunction.MAX, x)),
            AggregateMode.PARTIAL);
    assertThat(run(p, List.of()))
        .containsExactly(
            Arrays.asList(
                null, new BigDecimal("0.00"), true, 0L, 0.0, 0L, new BigDecimal("0.00"), 0L, null));
  }

  @Test
  void sumMinMaxAvgOfAllNullsAreNullAndCountIsZero() {
    ColumnRef x = col(1, DataType.LONG);
    AggregatePlan p =
        plan(
            LONGS,
            List.of(),
            List.of(
                call(AggregateFunction.SUM, x),
                call(AggregateFunction.MIN, x),
                call(AggregateFunction.MAX, x),
                call(AggregateFunction.AVG, x),
                call(AggregateFunction.COUNT, x),
                call(AggregateFunction.COUNT_STAR, null)),
            AggregateMode.COMPLETE);
    assertThat(run(p, rowsOf(row(1L, null), row(1L, null))))
        .containsExactly(Arrays.asList(null, null, null, null, 0L, 2L));
  }

  @Test
  void mixedNullsAreSkipped() {
    ColumnRef x = col(1, DataType.LONG);
    AggregatePlan p =
        plan(
            LONGS,
            List.of(),
            List.of(
                call(AggregateFunction.SUM, x),
                call(AggregateFunction.MIN, x),
                call(AggregateFunction.MAX, x),
                call(AggregateFunction.AVG, x),
                call(AggregateFunction.COUNT, x),
                call(AggregateFunction.COUNT_STAR, null)),
            AggregateMode.COMPLETE);
    assertThat(run(p, rowsOf(row(1L, 4L), row(1L, null), row(1L, -1L), row(1L, 3L))))
        .containsExactly(Arrays.asList(6L, -1L, 4L, 2.0, 3L, 4L));
  }

  @Test
  void oneRowGivesItsValue() {
    ColumnRef x = col(1, DataType.LONG);
    AggregatePlan p =
        plan(
            LONGS,
            List.of(col(0, DataType.LONG)),
            List.of(call(AggregateFunction.SUM, x), call(AggregateFunction.AVG, x)),
            AggregateMode.COMPLETE);
    assertThat(run(p, rowsOf(row(7L, 5L)))).containsExactly(List.of(7L, 5L, 5.0));
  }

  @Test
  void manyBatchesAccumulateIntoTheSameGroups() {
    ColumnRef x = col(1, DataType.LONG);
    AggregatePlan p =
        plan(
            LONGS,
            List.of(col(0, DataType.LONG)),
            List.of(call(AggregateFunction.SUM, x), call(AggregateFunction.COUNT_STAR, null)),
            AggregateMode.COMPLETE);
    List<List<Object[]>> batches = new ArrayList<>();
    for (int b = 0; b < 5; b++) {
      List<Object[]> rows = new ArrayList<>();
      for (long i = 0; i < 10; i++) {
        rows.add(row(i % 4, i));
      }
      batches.add(rows);
    }
    List<List<Object>> out = new ArrayList<>(runBatches(p, batches));
    out.sort(Comparator.comparing(r -> (Long) r.get(0)));
    // Per batch: key 0 -> 0+4+8, 1 -> 1+5+9, 2 -> 2+6, 3 -> 3+7; five batches.
    assertThat(out)
        .containsExactly(
            List.of(0L, 60L, 15L),
            List.of(1L, 75L, 15L),
            List.of(2L, 40L, 10L),
            List.of(3L, 50L, 10L));
  }

  @Test
  void nullKeyIsItsOwnGroup() {
    ColumnRef x = col(1, DataType.LONG);
    AggregatePlan p =
        plan(
            LONGS,
            List.of(col(0, DataType.LONG)),
            List.of(call(AggregateFunction.COUNT_STAR, null)),
            AggregateMode.COMPLETE);
    assertThat(run(p, rowsOf(row(null, 1L), row(1L, 1L), row(null, 2L))))
        .containsExactlyInAnyOrder(Arrays.asList(null, 2L), List.of(1L, 1L));
  }

  @Test
  void nanKeysFormOneGroupAndNegativeZeroGroupsWithZero() {
    List<Field> input = List.of(field("k", DataType.DOUBLE), field("x", DataType.LONG));
    AggregatePlan p =
        plan(
            input,
            List.of(col(0, DataType.DOUBLE)),
            List.of(call(AggregateFunction.COUNT_STAR, null)),
            AggregateMode.COMPLETE);
    double otherNan = Double.longBitsToDouble(0x7ff8000000000123L);
    List<List<Object>> out =
        run(
            p,
            rowsOf(
                row(Double.NaN, 1L), row(otherNan, 1L), row(-0.0, 1L), row(0.0, 1L), row(1.0, 1L)));
    assertThat(out).hasSize(3);
    assertThat(out).anySatisfy(r -> assertThat(r).containsExactly(Double.NaN, 2L));
    assertThat(out)
        .anySatisfy(
            r -> {
              assertThat(Double.doubleToRawLongBits((Double) r.get(0))).isZero();
              assertThat(r.get(1)).isEqualTo(2L);
            });
  }

  @Test
  void maxPutsNanAboveEveryNumberAndMinBelowIt() {
    List<Field> input = List.of(field("k", DataType.LONG), field("x", DataType.DOUBLE));
    ColumnRef x = col(1, DataType.DOUBLE);
    AggregatePlan p =
        plan(
            input,
            List.of(),
            List.of(call(AggregateFunction.MAX, x), call(AggregateFunction.MIN, x)),
            AggregateMode.COMPLETE);
    assertThat(run(p, rowsOf(row(1L, 1.0), row(1L, Double.NaN), row(1L, Double.POSITIVE_INFINITY))))
        .containsExactly(List.of(Double.NaN, 1.0));
  }

  @Test
  void minAndMaxOfStringsCompareUtf8Bytes() {
    List<Field> input = List.of(field("k", DataType.LONG), field("s", DataType.STRING));
    ColumnRef s = col(1, DataType.STRING);
    AggregatePlan p =
        plan(
            input,
            List.of(),
            List.of(call(AggregateFunction.MIN, s), call(AggregateFunction.MAX, s)),
            AggregateMode.COMPLETE);
    // 'é' (0xC3 0xA9) sorts after 'z' by unsigned bytes.
    assertThat(run(p, rowsOf(row(1L, "z"), row(1L, "é"), row(1L, "Z"))))
        .containsExactly(List.of("Z", "é"));
  }

  // ---- overflow ----

  @Test
  void longSumWrapsOnOverflowWithoutAnsi() {
    ColumnRef x = col(1, DataType.LONG);
    AggregatePlan p =
        plan(LONGS, List.of(), List.of(call(AggregateFunction.SUM, x)), AggregateMode.COMPLETE);
    assertThat(run(p, rowsOf(row(1L, Long.MAX_VALUE), row(1L, 2L))))
        .containsExactly(Arrays.asList(Long.MIN_VALUE + 1));
  }

  @Test
  void longSumOverflowRaisesArithmeticOverflowWithAnsi() {
    ColumnRef x = col(1, DataType.LONG);
    AggregatePlan p =
        plan(
            LONGS,
            List.of(),
            List.of(call(AggregateFunction.SUM, x, true)),
            AggregateMode.COMPLETE);
    assumeRuns(p);
    assertThatThrownBy(() -> run(p, rowsOf(row(1L, Long.MAX_VALUE), row(1L, 2L))))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("long overflow")
        .satisfies(
            e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.ARITHMETIC_OVERFLOW));
  }

  @Test
  void sumOfIntsIsALong() {
    List<Field> input = List.of(field("k", DataType.LONG), field("x", DataType.INT));
    AggregatePlan p =
        plan(
            input,
            List.of(),
            List.of(call(AggregateFunction.SUM, col(1, DataType.INT))),
            AggregateMode.COMPLETE);
    assertThat(run(p, rowsOf(row(1L, Integer.MAX_VALUE), row(1L, Integer.MAX_VALUE))))
        .containsExactly(List.of(2L * Integer.MAX_VALUE));
  }

  // ---- decimals ----

  @Test
  void decimalSumHasPrecisionPlusTenAndKeepsScale() {
    DataType d = DataType.decimal(5, 2);
    List<Field> input = List.of(field("k", DataType.LONG), field("d", d));
    AggregatePlan p =
        plan(
            input,
            List.of(),
            List.of(call(AggregateFunction.SUM, col(1, d))),
            AggregateMode.COMPLETE);
    assertThat(p.output().get(0).type()).isEqualTo(DataType.decimal(15, 2));
    assertThat(
            run(
                p,
                rowsOf(
                    row(1L, new BigDecimal("999.99")),
                    row(1L, new BigDecimal("0.01")),
                    row(1L, null))))
        .containsExactly(List.of(new BigDecimal("1000.00")));
  }

  @Test
  void groupedDecimalSumOverflowIsNullWithoutAnsiAndAnErrorWithAnsi() {
    DataType d = DataType.decimal(38, 0);
    List<Field> input = List.of(field("k", DataType.LONG), field("d", d));
    BigDecimal big = new BigDecimal("6").scaleByPowerOfTen(37).setScale(0);
    List<Object[]> rows = rowsOf(row(1L, big), row(1L, big), row(1L, big.negate()));
    AggregatePlan lenient =
        plan(
            input,
            List.of(col(0, DataType.LONG)),
            List.of(call(AggregateFunction.SUM, col(1, d))),
            AggregateMode.COMPLETE);
    // Grouped buffers overflow at once (UnsafeRow) and stay NULL even though the total fits.
    assertThat(run(lenient, rows)).containsExactly(Arrays.asList(1L, null));
    AggregatePlan strict =
        plan(
            input,
            List.of(col(0, DataType.LONG)),
            List.of(call(AggregateFunction.SUM, col(1, d), true)),
            AggregateMode.COMPLETE);
    assumeRuns(strict);
    assertThatThrownBy(() -> run(strict, rows))
        .hasMessageContaining("Overflow in sum of decimals")
        .satisfies(
            e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.ARITHMETIC_OVERFLOW));
  }

  @Test
  void decimalAvgHasScalePlusFourAndRoundsHalfUp() {
    DataType d = DataType.decimal(10, 2);
    List<Field> input = List.of(field("k", DataType.LONG), field("d", d));
    AggregatePlan p =
        plan(
            input,
            List.of(col(0, DataType.LONG)),
            List.of(call(AggregateFunction.AVG, col(1, d))),
            AggregateMode.COMPLETE);
    assertThat(p.output().get(1).type()).isEqualTo(DataType.decimal(14, 6));
    BigDecimal a = new BigDecimal("1.00");
    BigDecimal b = new BigDecimal("2.00");
    BigDecimal c = new BigDecimal("2.01");
    BigDecimal expected =
        a.add(b).add(c).divide(BigDecimal.valueOf(3), 6, RoundingMode.HALF_UP); // 1.670000
    BigDecimal twoThirds =
        new BigDecimal("2.00").divide(BigDecimal.valueOf(3), 6, RoundingMode.HALF_UP); // 0.666667
    List<List<Object>> out =
        run(
            p,
            rowsOf(
                row(1L, a),
                row(1L, b),
                row(1L, c),
                row(2L, null),
                row(3L, new BigDecimal("0.00")),
                row(3L, new BigDecimal("1.00")),
                row(3L, new BigDecimal("1.00"))));
    assertThat(out)
        .containsExactlyInAnyOrder(
            List.of(1L, expected), Arrays.asList(2L, null), List.of(3L, twoThirds));
    assertThat(twoThirds).isEqualByComparingTo("0.666667");
  }

  @Test
  void decimalBufferLayoutIsSumAndIsEmpty() {
    DataType d = DataType.decimal(5, 1);
    List<Field> input = List.of(field("k", DataType.LONG), field("d", d));
    AggregatePlan p =
        plan(
            input,
            List.of(col(0, DataType.LONG)),
            List.of(call(AggregateFunction.SUM, col(1, d))),
            AggregateMode.PARTIAL);
    assertThat(run(p, rowsOf(row(1L, new BigDecimal("1.5")), row(2L, null))))
        .containsExactlyInAnyOrder(
            List.of(1L, new BigDecimal("1.5"), false), List.of(2L, new BigDecimal("0.0"), true));
  }

  // ---- phases ----

  @Test
  void partialThenFinalEqualsComplete() {
    DataType d = DataType.decimal(7, 3);
    List<Field> input =
        List.of(
            field("k", DataType.LONG),
            field("x", DataType.LONG),
            field("d", d),
            field("f", DataType.DOUBLE));
    List<AggregateCall> calls =
        List.of(
            call(AggregateFunction.SUM, col(1, DataType.LONG)),
            call(AggregateFunction.SUM, col(2, d)),
            call(AggregateFunction.AVG, col(2, d)),
            call(AggregateFunction.AVG, col(3, DataType.DOUBLE)),
            call(AggregateFunction.COUNT, col(1, DataType.LONG)),
            call(AggregateFunction.COUNT_STAR, null),
            call(AggregateFunction.MIN, col(2, d)),
            call(AggregateFunction.MAX, col(3, DataType.DOUBLE)));
    List<Object[]> chunk1 =
        rowsOf(
            row(1L, 5L, new BigDecimal("1.250"), 0.5),
            row(2L, null, null, null),
            row(1L, -2L, new BigDecimal("-3.001"), 2.25));
    List<Object[]> chunk2 =
        rowsOf(row(1L, 7L, null, 1.0), row(3L, 1L, new BigDecimal("9.999"), 4.0));
    List<List<Object>> complete =
        runBatches(
            plan(input, List.of(col(0, DataType.LONG)), calls, AggregateMode.COMPLETE),
            List.of(chunk1, chunk2));
    assertThat(partialThenFinal(input, calls, List.of(chunk1, chunk2)))
        .containsExactlyInAnyOrderElementsOf(complete);
  }

  /** Runs PARTIAL over each chunk separately, then one FINAL over all partial outputs. */
  protected List<List<Object>> partialThenFinal(
      List<Field> input, List<AggregateCall> calls, List<List<Object[]>> chunks) {
    AggregatePlan partial = partialPlan(input, calls);
    List<Object[]> buffers = new ArrayList<>();
    for (List<Object[]> chunk : chunks) {
      for (List<Object> r : run(partial, chunk)) {
        buffers.add(r.toArray());
      }
    }
    return run(finalPlan(partial, calls), buffers);
  }

  /** The PARTIAL plan of {@link #partialThenFinal}, grouped by column 0. */
  protected static AggregatePlan partialPlan(List<Field> input, List<AggregateCall> calls) {
    return plan(input, List.of(col(0, DataType.LONG)), calls, AggregateMode.PARTIAL);
  }

  /** The FINAL plan that merges the buffers {@code partial} emits. */
  protected static AggregatePlan finalPlan(AggregatePlan partial, List<AggregateCall> calls) {
    List<Field> bufferSchema = partial.output();
    List<AggregateCall> finals = new ArrayList<>();
    int ordinal = 1;
    for (AggregateCall c : calls) {
      List<Integer> ordinals = new ArrayList<>();
      for (int i = 0; i < c.bufferFields().size(); i++) {
        ordinals.add(ordinal++);
      }
      finals.add(
          new AggregateCall(
              c.function(), null, c.argumentType(), c.resultType(), ordinals, null, c.ansi()));
    }
    return plan(bufferSchema, List.of(col(0, DataType.LONG)), finals, AggregateMode.FINAL);
  }

  @Test
  void filterSkipsRowsWhereItIsNotTrue() {
    ColumnRef x = col(1, DataType.LONG);
    Expr positive = new Comparison(ComparisonOp.GREATER_THAN, x, lit(0L, DataType.LONG));
    AggregateCall filtered =
        new AggregateCall(
            AggregateFunction.COUNT_STAR,
            null,
            DataType.LONG,
            DataType.LONG,
            List.of(),
            positive,
            false);
    AggregatePlan p = plan(LONGS, List.of(), List.of(filtered), AggregateMode.COMPLETE);
    assertThat(run(p, rowsOf(row(1L, 3L), row(1L, null), row(1L, -1L), row(1L, 2L))))
        .containsExactly(List.of(2L));
  }

  @Test
  void resultProjectionIsEvaluatedOverKeysAndResults() {
    ColumnRef x = col(1, DataType.LONG);
    Expr plusKey =
        new Arithmetic(
            ArithmeticOp.ADD, col(0, DataType.LONG), col(1, DataType.LONG), DataType.LONG, false);
    AggregatePlan p =
        new AggregatePlan(
            LONGS,
            List.of(col(0, DataType.LONG)),
            List.of("k"),
            List.of(call(AggregateFunction.SUM, x)),
            AggregateMode.COMPLETE,
            List.of(plusKey),
            List.of("k_plus_sum"));
    assertThat(run(p, rowsOf(row(10L, 1L), row(10L, 2L)))).containsExactly(List.of(13L));
  }

  // ---- expressions ----

  private static final List<Field> ID_B_B =
      List.of(
          field("id", DataType.LONG), field("a", DataType.BOOLEAN), field("b", DataType.BOOLEAN));

  @Test
  void andOrNotFollowThreeValuedLogic() {
    ColumnRef a = col(1, DataType.BOOLEAN);
    ColumnRef b = col(2, DataType.BOOLEAN);
    List<Object[]> rows =
        rowsOf(row(0L, true, null), row(1L, false, null), row(2L, null, null), row(3L, true, true));
    assertThat(evalPerRow(ID_B_B, rows, new And(a, b))).containsExactly(null, false, null, true);
    assertThat(evalPerRow(ID_B_B, rows, new Or(a, b))).containsExactly(true, null, null, true);
    assertThat(evalPerRow(ID_B_B, rows, new Not(a))).containsExactly(false, true, null, false);
  }

  @Test
  void inIsNullWhenNothingMatchesAndTheListHasNull() {
    ColumnRef x = col(1, DataType.LONG);
    In in = new In(x, List.of(lit(1L, DataType.LONG), lit(null, DataType.LONG)));
    assertThat(evalPerRow(LONGS, rowsOf(row(0L, 1L), row(1L, 2L), row(2L, null)), in))
        .containsExactly(true, null, null);
    In noNull = new In(x, List.of(lit(1L, DataType.LONG)));
    assertThat(evalPerRow(LONGS, rowsOf(row(0L, 2L)), noNull)).containsExactly(false);
  }

  @Test
  void caseWhenTakesTheFirstTrueBranchAndCoalesceTheFirstNonNull() {
    ColumnRef x = col(1, DataType.LONG);
    Expr isPositive = new Comparison(ComparisonOp.GREATER_THAN, x, lit(0L, DataType.LONG));
    CaseWhen cw =
        new CaseWhen(
            List.of(new CaseWhen.Branch(isPositive, lit(1L, DataType.LONG))),
            lit(-1L, DataType.LONG),
            DataType.LONG);
    List<Object[]> rows = rowsOf(row(0L, 5L), row(1L, -5L), row(2L, null));
    assertThat(evalPerRow(LONGS, rows, cw)).containsExactly(1L, -1L, -1L);
    Coalesce co = new Coalesce(List.of(x, lit(42L, DataType.LONG)), DataType.LONG);
    assertThat(evalPerRow(LONGS, rows, co)).containsExactly(5L, -5L, 42L);
  }

  @Test
  void nullSafeEqualIsNeverNullAndNanEqualsNan() {
    List<Field> input = List.of(field("id", DataType.LONG), field("x", DataType.DOUBLE));
    ColumnRef x = col(1, DataType.DOUBLE);
    Expr nse = new Comparison(ComparisonOp.NULL_SAFE_EQUAL, x, lit(Double.NaN, DataType.DOUBLE));
    Expr eqZero = new Comparison(ComparisonOp.EQUAL, x, lit(0.0, DataType.DOUBLE));
    List<Object[]> rows = rowsOf(row(0L, Double.NaN), row(1L, null), row(2L, -0.0));
    assertThat(evalPerRow(input, rows, nse)).containsExactly(true, false, false);
    assertThat(evalPerRow(input, rows, eqZero)).containsExactly(false, null, true);
  }

  @Test
  void divisionByZeroIsNullWithoutAnsiAndAnErrorWithAnsi() {
    List<Field> input = List.of(field("id", DataType.LONG), field("x", DataType.DOUBLE));
    ColumnRef x = col(1, DataType.DOUBLE);
    Expr div =
        new Arithmetic(ArithmeticOp.DIVIDE, lit(1.0, DataType.DOUBLE), x, DataType.DOUBLE, false);
    assertThat(evalPerRow(input, rowsOf(row(0L, 0.0), row(1L, -0.0), row(2L, 4.0)), div))
        .containsExactly(null, null, 0.25);
    Expr strict =
        new Arithmetic(ArithmeticOp.DIVIDE, lit(1.0, DataType.DOUBLE), x, DataType.DOUBLE, true);
    assumeRuns(perRowPlan(input, strict));
    assertThatThrownBy(() -> evalPerRow(input, rowsOf(row(0L, 0.0)), strict))
        .hasMessageContaining("Division by zero")
        .satisfies(
            e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.DIVIDE_BY_ZERO));
  }

  @Test
  void integerAdditionWrapsWithoutAnsiAndRaisesWithAnsi() {
    List<Field> input = List.of(field("id", DataType.LONG), field("x", DataType.INT));
    ColumnRef x = col(1, DataType.INT);
    Expr add = new Arithmetic(ArithmeticOp.ADD, x, lit(1L, DataType.INT), DataType.INT, false);
    assertThat(evalPerRow(input, rowsOf(row(0L, Integer.MAX_VALUE)), add))
        .containsExactly((long) Integer.MIN_VALUE);
    Expr strict = new Arithmetic(ArithmeticOp.ADD, x, lit(1L, DataType.INT), DataType.INT, true);
    assumeRuns(perRowPlan(input, strict));
    assertThatThrownBy(() -> evalPerRow(input, rowsOf(row(0L, Integer.MAX_VALUE)), strict))
        .hasMessageContaining("integer overflow");
  }

  @Test
  void decimalDivisionUsesSparksResultTypeAndRoundsHalfUp() {
    DataType d = DataType.decimal(10, 2);
    List<Field> input = List.of(field("id", DataType.LONG), field("a", d), field("b", d));
    // Spark: scale = max(6, s1 + p2 + 1) = 13, precision = p1 - s1 + s2 + scale = 23.
    DataType result = DataType.decimal(23, 13);
    Expr div = new Arithmetic(ArithmeticOp.DIVIDE, col(1, d), col(2, d), result, false);
    BigDecimal two = new BigDecimal("2.00");
    BigDecimal three = new BigDecimal("3.00");
    assertThat(
            evalPerRow(
                input, rowsOf(row(0L, two, three), row(1L, two, new BigDecimal("0.00"))), div))
        .containsExactly(two.divide(three, 13, RoundingMode.HALF_UP), null);
  }

  @Test
  void castsFollowSparksLegacyAndAnsiRules() {
    List<Field> input = List.of(field("id", DataType.LONG), field("x", DataType.DOUBLE));
    ColumnRef x = col(1, DataType.DOUBLE);
    List<Object[]> rows = rowsOf(row(0L, 1e10), row(1L, Double.NaN), row(2L, -2.9));
    assertThat(evalPerRow(input, rows, new Cast(x, DataType.INT, false)))
        .containsExactly((long) Integer.MAX_VALUE, 0L, -2L);
    // Legacy byte casts go through int: (byte) (int) 1e10 = (byte) 0x7fffffff = -1.
    assertThat(evalPerRow(input, rows, new Cast(x, DataType.BYTE, false)))
        .containsExactly(-1L, 0L, -2L);
    assumeRuns(perRowPlan(input, new Cast(x, DataType.INT, true)));
    assertThatThrownBy(() -> evalPerRow(input, rows, new Cast(x, DataType.INT, true)))
        .hasMessageContaining("cannot be cast")
        .satisfies(
            e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.CAST_OVERFLOW));
    DataType d21 = DataType.decimal(2, 1);
    List<Object[]> halves = rowsOf(row(0L, 1.25), row(1L, -1.25), row(2L, 99.0));
    assertThat(evalPerRow(input, halves, new Cast(x, d21, false)))
        .containsExactly(new BigDecimal("1.3"), new BigDecimal("-1.3"), null);
  }

  /** Not skipped by {@link #assumeRuns}: refusing a plan with a reason is part of the contract. */
  @Test
  void unsupportedCastHasAReasonAndIsRefused() {
    List<Field> input = List.of(field("id", DataType.LONG), field("s", DataType.STRING));
    AggregatePlan p =
        plan(
            input,
            List.of(new Cast(col(1, DataType.STRING), DataType.INT, false)),
            List.of(),
            AggregateMode.COMPLETE);
    String reason = backend().unsupportedReason(p);
    assertThat(reason).isNotNull();
    // A backend that evaluates casts at all must name the one it cannot do; one that evaluates no
    // grouping expressions (the GPU) may refuse the plan for that instead.
    AggregatePlan supportedCast =
        plan(
            input,
            List.of(new Cast(col(0, DataType.LONG), DataType.INT, false)),
            List.of(),
            AggregateMode.COMPLETE);
    if (backend().unsupportedReason(supportedCast) == null) {
      assertThat(reason.toLowerCase(java.util.Locale.ROOT))
          .containsAnyOf("cast from string to int", "cast(string as int)");
    }
    assertThatThrownBy(() -> backend().createAggregator(p, allocator).close())
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining(reason)
        .satisfies(e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.UNSUPPORTED));
  }

  // ---- property: splitting the input into partial aggregates does not change the result ----

  private static final DataType DEC = DataType.decimal(12, 2);
  private static final List<Field> RANDOM_INPUT =
      List.of(
          field("k", DataType.LONG),
          field("i", DataType.INT),
          field("l", DataType.LONG),
          field("d", DataType.DOUBLE),
          field("m", DEC));

  /**
   * PARTIAL over k chunks then FINAL equals COMPLETE over all rows. Doubles are multiples of 1/4 in
   * a small range and longs stay below 2^45 so that every double partial sum is exact and the order
   * of addition cannot matter.
   */
  @Property(tries = 60)
  @AddLifecycleHook(SkipWhereTheBackendCannotRunThePlans.class)
  void partialOverChunksThenFinalEqualsComplete(
      @ForAll("randomRows") List<Object[]> rows, @ForAll @IntRange(min = 1, max = 4) int chunks) {
    allocator = new RootAllocator(256L << 20);
    try {
      List<AggregateCall> calls = randomCalls();
      List<List<Object[]>> split = new ArrayList<>();
      int size = (rows.size() + chunks - 1) / chunks;
      for (int from = 0; from < rows.size(); from += Math.max(size, 1)) {
        split.add(rows.subList(from, Math.min(rows.size(), from + Math.max(size, 1))));
      }
      List<List<Object>> complete =
          run(
              plan(RANDOM_INPUT, List.of(col(0, DataType.LONG)), calls, AggregateMode.COMPLETE),
              rows);
      assertThat(partialThenFinal(RANDOM_INPUT, calls, split))
          .containsExactlyInAnyOrderElementsOf(complete);
    } finally {
      allocator.close();
    }
  }

  /** Every function over every value column of {@link #RANDOM_INPUT}. */
  private static List<AggregateCall> randomCalls() {
    List<AggregateCall> calls = new ArrayList<>();
    for (int c = 1; c < RANDOM_INPUT.size(); c++) {
      ColumnRef x = col(c, RANDOM_INPUT.get(c).type());
      for (AggregateFunction f : AggregateFunction.values()) {
        calls.add(call(f, f == AggregateFunction.COUNT_STAR ? null : x));
      }
    }
    return calls;
  }

  /**
   * Skips the property, with the backend's reason, when {@link #assumeRuns} refuses one of its
   * plans. jqwik runs no JUnit {@code @BeforeEach} and counts an assumption that fails inside a try
   * as a rejected try (and a property whose every try is rejected as a failure), so the check runs
   * here, once, before any try: the plans do not depend on the random rows.
   */
  static final class SkipWhereTheBackendCannotRunThePlans implements SkipExecutionHook {
    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
      if (!(context instanceof PropertyLifecycleContext property)) {
        return SkipResult.doNotSkip();
      }
      AggregatorContractTest test = (AggregatorContractTest) property.testInstance();
      List<AggregateCall> calls = randomCalls();
      AggregatePlan partial = partialPlan(RANDOM_INPUT, calls);
      try {
        test.assumeRuns(
            plan(RANDOM_INPUT, List.of(col(0, DataType.LONG)), calls, AggregateMode.COMPLETE));
        test.assumeRuns(partial);
        test.assumeRuns(finalPlan(partial, calls));
      } catch (TestAbortedException e) {
        return SkipResult.skip(e.getMessage());
      }
      return SkipResult.doNotSkip();
    }
  }

  @Provide
  Arbitrary<List<Object[]>> randomRows() {
    Arbitrary<Object> key = Arbitraries.longs().between(0, 3).map(v -> (Object) v).injectNull(0.1);
    Arbitrary<Object> ints = Arbitraries.integers().map(v -> (Object) v).injectNull(0.2);
    // Within 2^45 so that AVG's double sums stay exact whatever the split (Spark's AVG of longs
    // adds doubles, which is not associative beyond 2^53).
    Arbitrary<Object> longs =
        Arbitraries.longs().between(-(1L << 45), 1L << 45).map(v -> (Object) v).injectNull(0.2);
    Arbitrary<Object> doubles =
        Arbitraries.integers().between(-4000, 4000).map(v -> (Object) (v / 4.0)).injectNull(0.2);
    Arbitrary<Object> decimals =
        Arbitraries.longs()
            .between(-9_999_999_999L, 9_999_999_999L)
            .map(v -> (Object) BigDecimal.valueOf(v, 2))
            .injectNull(0.2);
    return Combinators.combine(key, ints, longs, doubles, decimals)
        .as((k, i, l, d, m) -> new Object[] {k, i, l, d, m})
        .list()
        .ofMaxSize(40);
  }
}
