package dev.trueno.simd.vector;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.trueno.core.expr.IsNotNull;
import dev.trueno.core.expr.IsNull;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.expr.Not;
import dev.trueno.core.expr.Or;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.TestBatches;
import dev.trueno.simd.scalar.ScalarBackend;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * SIMD == scalar on random plans and data: grouped and global, every mode, filters, ANSI on and
 * off, nulls, NaN, -0.0, long overflow, decimal products beyond a long, batches whose lengths are
 * not multiples of the vector width, and empty input. Results compare as multisets of rows, exactly
 * (floats included: both backends add in row order); when the scalar backend raises, the SIMD
 * backend must raise the same error code.
 */
class VectorScalarEquivalenceTest {
  private static final DataType DEC = DataType.decimal(15, 2);
  private static final List<Field> INPUT =
      List.of(
          new Field("k", DataType.LONG, true),
          new Field("s", DataType.STRING, true),
          new Field("i", DataType.INT, true),
          new Field("l", DataType.LONG, true),
          new Field("d", DataType.DOUBLE, true),
          new Field("m", DEC, true));

  private static final ColumnRef K = new ColumnRef(0, DataType.LONG, "k");
  private static final ColumnRef S = new ColumnRef(1, DataType.STRING, "s");
  private static final ColumnRef I = new ColumnRef(2, DataType.INT, "i");
  private static final ColumnRef L = new ColumnRef(3, DataType.LONG, "l");
  private static final ColumnRef D = new ColumnRef(4, DataType.DOUBLE, "d");
  private static final ColumnRef M = new ColumnRef(5, DEC, "m");

  private static Literal lit(Object v, DataType t) {
    return new Literal(v, t);
  }

  /** Argument expressions, by index; some overflow or fail under ANSI on extreme values. */
  private static Expr argument(int which, boolean ansi) {
    DataType dec31 = DataType.decimal(31, 4);
    DataType dec16 = DataType.decimal(16, 2);
    return switch (which) {
      case 0 -> I;
      case 1 -> L;
      case 2 -> D;
      case 3 -> M;
      case 4 ->
          new Arithmetic(
              ArithmeticOp.ADD, new Cast(I, DataType.LONG, ansi), L, DataType.LONG, ansi);
      case 5 ->
          new Arithmetic(
              ArithmeticOp.MULTIPLY,
              M,
              new Arithmetic(
                  ArithmeticOp.SUBTRACT,
                  lit(new BigDecimal("1.00"), DataType.decimal(3, 2)),
                  M,
                  dec16,
                  ansi),
              dec31,
              ansi);
      case 6 ->
          new CaseWhen(
              List.of(
                  new CaseWhen.Branch(
                      new Comparison(ComparisonOp.GREATER_THAN, D, lit(0.0, DataType.DOUBLE)), L)),
              lit(0L, DataType.LONG),
              DataType.LONG);
      case 7 ->
          new Arithmetic(
              ArithmeticOp.DIVIDE, D, new Cast(I, DataType.DOUBLE, ansi), DataType.DOUBLE, ansi);
      case 8 -> new Cast(D, DataType.INT, ansi);
      case 9 -> new Coalesce(List.of(new Cast(I, DataType.LONG, ansi), L), DataType.LONG);
      case 10 -> S;
      case 12 -> new Arithmetic(ArithmeticOp.MULTIPLY, L, K, DataType.LONG, ansi);
      case 13 ->
          new Arithmetic(
              ArithmeticOp.SUBTRACT,
              D,
              new Arithmetic(ArithmeticOp.MULTIPLY, D, D, DataType.DOUBLE, ansi),
              DataType.DOUBLE,
              ansi);
      default -> new Cast(L, DEC, ansi);
    };
  }

  private static Expr filter(int which) {
    return switch (which) {
      case 0 -> null;
      case 1 -> new Comparison(ComparisonOp.GREATER_THAN, L, lit(0L, DataType.LONG));
      case 2 ->
          new Or(
              new IsNull(D),
              new Comparison(ComparisonOp.LESS_THAN, M, lit(new BigDecimal("0.00"), DEC)));
      case 3 -> new Not(new In(K, List.of(lit(1L, DataType.LONG), lit(null, DataType.LONG))));
      case 5 -> new And(new IsNotNull(I), new Comparison(ComparisonOp.LESS_THAN_OR_EQUAL, K, L));
      case 6 -> new Comparison(ComparisonOp.GREATER_THAN, lit(0.5, DataType.DOUBLE), D);
      case 7 ->
          new Or(
              new Comparison(ComparisonOp.NULL_SAFE_EQUAL, I, lit(3L, DataType.INT)),
              new Not(new Comparison(ComparisonOp.LESS_THAN, lit(-2L, DataType.INT), I)));
      default ->
          new Comparison(
              ComparisonOp.EQUAL, S, lit(dev.trueno.core.types.Utf8.of("é"), DataType.STRING));
    };
  }

  private static List<Expr> keys(int which) {
    return switch (which) {
      case 0 -> List.of();
      case 1 -> List.of(K);
      case 2 -> List.of(S);
      case 3 -> List.of(K, S);
      case 4 -> List.of(D);
      case 5 -> List.of(M, K);
      default ->
          List.of(
              new Arithmetic(
                  ArithmeticOp.REMAINDER, L, lit(3L, DataType.LONG), DataType.LONG, false));
    };
  }

  private static AggregateCall call(int function, int arg, int filter, boolean ansi) {
    AggregateFunction f = AggregateFunction.values()[function];
    Expr a = f == AggregateFunction.COUNT_STAR ? null : argument(arg, ansi);
    if (a != null
        && a.type().equals(DataType.STRING)
        && (f == AggregateFunction.SUM || f == AggregateFunction.AVG)) {
      a = argument(1, ansi);
    }
    DataType t = a == null ? DataType.LONG : a.type();
    DataType result =
        switch (f) {
          case SUM -> AggregateCall.sumType(t);
          case AVG -> AggregateCall.avgResultType(t);
          case COUNT, COUNT_STAR -> DataType.LONG;
          case MIN, MAX -> t;
        };
    return new AggregateCall(f, a, t, result, List.of(), filter(filter), ansi);
  }

  @Property(tries = 300)
  void simdEqualsScalar(
      @ForAll("rows") List<Object[]> rows,
      @ForAll @IntRange(min = 0, max = 6) int keyChoice,
      @ForAll("calls") List<int[]> callChoices,
      @ForAll @IntRange(min = 0, max = 3) int modeChoice,
      @ForAll @IntRange(min = 1, max = 4) int chunks) {
    List<AggregateCall> calls = new ArrayList<>();
    for (int[] c : callChoices) {
      calls.add(call(c[0], c[1], c[2], c[3] == 1));
    }
    List<Expr> keys = keys(keyChoice);
    List<String> names = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      names.add("key" + k);
    }
    List<List<Object[]>> batches = split(rows, chunks);
    try (BufferAllocator allocator = new RootAllocator(256L << 20)) {
      AggregatePlan first =
          new AggregatePlan(
              INPUT,
              keys,
              names,
              calls,
              modeChoice == 0 ? AggregateMode.COMPLETE : AggregateMode.PARTIAL,
              List.of(),
              List.of());
      Outcome scalar = run(new ScalarBackend(), first, batches, allocator);
      Outcome simd = run(new VectorBackend(), first, batches, allocator);
      assertSame(scalar, simd);
      if (modeChoice == 0 || scalar.error != null) {
        return;
      }
      // Feed the (scalar) buffers to a merge phase on both backends.
      List<Field> bufferSchema = first.output();
      List<Expr> mergeKeys = new ArrayList<>();
      for (int k = 0; k < keys.size(); k++) {
        mergeKeys.add(new ColumnRef(k, keys.get(k).type(), "key" + k));
      }
      List<AggregateCall> merges = new ArrayList<>();
      int ordinal = keys.size();
      for (AggregateCall c : calls) {
        List<Integer> ordinals = new ArrayList<>();
        for (int b = 0; b < c.bufferFields().size(); b++) {
          ordinals.add(ordinal++);
        }
        merges.add(
            new AggregateCall(
                c.function(), null, c.argumentType(), c.resultType(), ordinals, null, c.ansi()));
      }
      AggregateMode mode = modeChoice == 1 ? AggregateMode.FINAL : AggregateMode.PARTIAL_MERGE;
      AggregatePlan second =
          new AggregatePlan(bufferSchema, mergeKeys, names, merges, mode, List.of(), List.of());
      List<Object[]> buffers = new ArrayList<>();
      for (List<Object> r : scalar.rows) {
        buffers.add(r.toArray());
      }
      List<List<Object[]>> bufferBatches = split(buffers, chunks);
      assertSame(
          run(new ScalarBackend(), second, bufferBatches, allocator),
          run(new VectorBackend(), second, bufferBatches, allocator));
    }
  }

  /**
   * Batches as readers hand them over: one root refilled for every batch (fewer rows than before
   * leave stale values and validity past the row count, values under NULLs are stale too) or slices
   * of one large root (buffers that start inside their allocation), with row counts around the
   * 64-row word size so that the kernels' whole-word and tail paths both run.
   */
  @Property(tries = 150)
  void simdEqualsScalarOnReusedAndSlicedBatches(
      @ForAll("manyRows") List<Object[]> rows,
      @ForAll("batchSizes") List<Integer> sizes,
      @ForAll @IntRange(min = 0, max = 6) int keyChoice,
      @ForAll("calls") List<int[]> callChoices,
      @ForAll boolean sliced) {
    List<AggregateCall> calls = new ArrayList<>();
    for (int[] c : callChoices) {
      calls.add(call(c[0], c[1], c[2], c[3] == 1));
    }
    List<Expr> keys = keys(keyChoice);
    List<String> names = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      names.add("key" + k);
    }
    List<List<Object[]>> batches = new ArrayList<>();
    int from = 0;
    for (int size : sizes) {
      int to = Math.min(rows.size(), from + size);
      batches.add(strings(rows.subList(from, to)));
      from = to;
    }
    batches.add(strings(rows.subList(from, rows.size())));
    AggregatePlan plan =
        new AggregatePlan(INPUT, keys, names, calls, AggregateMode.COMPLETE, List.of(), List.of());
    try (BufferAllocator allocator = new RootAllocator(256L << 20)) {
      Outcome scalar = run(new ScalarBackend(), plan, batches, allocator);
      Outcome simd;
      try (Aggregator agg = new VectorBackend().createAggregator(plan, allocator)) {
        if (sliced) {
          List<Object[]> all = new ArrayList<>();
          batches.forEach(all::addAll);
          try (VectorSchemaRoot whole = TestBatches.batch(allocator, INPUT, all)) {
            int start = 0;
            for (List<Object[]> b : batches) {
              try (VectorSchemaRoot slice = whole.slice(start, b.size())) {
                agg.consume(slice);
              }
              start += b.size();
            }
          }
        } else {
          try (VectorSchemaRoot root = TestBatches.batch(allocator, INPUT, List.of())) {
            for (List<Object[]> b : batches) {
              TestBatches.refill(root, b);
              agg.consume(root);
            }
          }
        }
        simd = new Outcome(TestBatches.drain(agg, 7), null);
      } catch (TruenoException e) {
        simd = new Outcome(null, e.code());
      }
      assertSame(scalar, simd);
    }
  }

  private static List<Object[]> strings(List<Object[]> rows) {
    List<Object[]> out = new ArrayList<>();
    for (Object[] r : rows) {
      Object[] c = r.clone();
      for (int i = 0; i < c.length; i++) {
        if (c[i] instanceof dev.trueno.core.types.Utf8 u) {
          c[i] = u.toString();
        }
      }
      out.add(c);
    }
    return out;
  }

  @Provide
  Arbitrary<List<Integer>> batchSizes() {
    return Arbitraries.oneOf(
            Arbitraries.of(0, 1, 63, 64, 65, 128, 130, 200), Arbitraries.integers().between(0, 300))
        .list()
        .ofMinSize(1)
        .ofMaxSize(5);
  }

  @Provide
  Arbitrary<List<Object[]>> manyRows() {
    return rowArbitrary(500);
  }

  private static List<List<Object[]>> split(List<Object[]> rows, int chunks) {
    List<List<Object[]>> out = new ArrayList<>();
    int size = Math.max(1, (rows.size() + chunks - 1) / chunks);
    for (int from = 0; from < rows.size(); from += size) {
      out.add(rows.subList(from, Math.min(rows.size(), from + size)));
    }
    if (chunks == 4) {
      out.add(List.of());
    }
    return out;
  }

  private record Outcome(List<List<Object>> rows, ErrorCode error) {}

  private static Outcome run(
      Backend backend, AggregatePlan plan, List<List<Object[]>> batches, BufferAllocator a) {
    assertThat(backend.unsupportedReason(plan)).isNull();
    try (Aggregator agg = backend.createAggregator(plan, a)) {
      for (List<Object[]> rows : batches) {
        // Each converted row; TestBatches reads strings from String, not Utf8.
        List<Object[]> converted = new ArrayList<>();
        for (Object[] r : rows) {
          Object[] c = r.clone();
          for (int i = 0; i < c.length; i++) {
            if (c[i] instanceof dev.trueno.core.types.Utf8 u) {
              c[i] = u.toString();
            }
          }
          converted.add(c);
        }
        try (VectorSchemaRoot batch = TestBatches.batch(a, plan.input(), converted)) {
          agg.consume(batch);
        }
      }
      return new Outcome(TestBatches.drain(agg, 7), null);
    } catch (TruenoException e) {
      return new Outcome(null, e.code());
    }
  }

  private static void assertSame(Outcome scalar, Outcome simd) {
    if (scalar.error != null) {
      assertThat(simd.error).isEqualTo(scalar.error);
    } else {
      assertThat(simd.error).isNull();
      assertThat(simd.rows).containsExactlyInAnyOrderElementsOf(scalar.rows);
    }
  }

  @Provide
  Arbitrary<List<int[]>> calls() {
    return Combinators.combine(
            Arbitraries.integers().between(0, AggregateFunction.values().length - 1),
            Arbitraries.integers().between(0, 13),
            Arbitraries.integers().between(0, 7).injectDuplicates(0.5),
            Arbitraries.integers().between(0, 1))
        .as((f, a, fl, ansi) -> new int[] {f, a, fl % 8 == 0 ? 0 : fl, ansi})
        .list()
        .ofMinSize(1)
        .ofMaxSize(5);
  }

  @Provide
  Arbitrary<List<Object[]>> rows() {
    return rowArbitrary(150);
  }

  private static Arbitrary<List<Object[]>> rowArbitrary(int maxRows) {
    Arbitrary<Object> key = Arbitraries.longs().between(0, 5).map(v -> (Object) v).injectNull(0.1);
    Arbitrary<Object> str =
        Arbitraries.of("", "a", "b", "é", "z", "longer string value")
            .map(v -> (Object) v)
            .injectNull(0.1);
    Arbitrary<Object> ints =
        Arbitraries.oneOf(
                Arbitraries.integers().between(-5, 5),
                Arbitraries.of(Integer.MIN_VALUE, Integer.MAX_VALUE),
                Arbitraries.integers())
            .map(v -> (Object) v)
            .injectNull(0.2);
    Arbitrary<Object> longs =
        Arbitraries.oneOf(
                Arbitraries.longs().between(-1000, 1000),
                Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE - 1),
                Arbitraries.longs())
            .map(v -> (Object) v)
            .injectNull(0.2);
    Arbitrary<Object> doubles =
        Arbitraries.oneOf(
                Arbitraries.doubles().between(-1e6, 1e6),
                Arbitraries.of(Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY, 1e300, 3e9))
            .map(v -> (Object) v)
            .injectNull(0.2);
    Arbitrary<Object> decimals =
        Arbitraries.oneOf(
                Arbitraries.longs().between(-100_000, 100_000),
                Arbitraries.of(999_999_999_999_999L, -999_999_999_999_999L),
                Arbitraries.longs().between(-999_999_999_999_999L, 999_999_999_999_999L))
            .map(v -> (Object) BigDecimal.valueOf(v, 2))
            .injectNull(0.2);
    return Combinators.combine(key, str, ints, longs, doubles, decimals)
        .as((k, s, i, l, d, m) -> new Object[] {k, s, i, l, d, m})
        .list()
        .ofMaxSize(maxRows);
  }
}
