package dev.trueno.core.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.expr.Arithmetic;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The columns an aggregation reads: what the cost model prices and a GPU backend copies. */
class AggregatePlanColumnsTest {
  private static final List<Field> INPUT =
      List.of(
          new Field("a", DataType.LONG, true),
          new Field("b", DataType.LONG, true),
          new Field("c", DataType.LONG, true),
          new Field("d", DataType.LONG, true),
          new Field("e", DataType.LONG, true));

  private static ColumnRef col(int i) {
    return new ColumnRef(i, DataType.LONG, INPUT.get(i).name());
  }

  private static AggregatePlan plan(AggregateMode mode, List<Expr> keys, AggregateCall call) {
    return new AggregatePlan(
        INPUT,
        keys,
        keys.stream().map(k -> "k").toList(),
        List.of(call),
        mode,
        List.of(),
        List.of());
  }

  @Test
  void updateModesReadKeysArgumentsAndFilters() {
    // SUM(b + e) FILTER (WHERE d > 0) GROUP BY a: reads a, b, d, e but not c.
    Expr argument = new Arithmetic(ArithmeticOp.ADD, col(1), col(4), DataType.LONG, false);
    Expr filter = new Comparison(ComparisonOp.GREATER_THAN, col(3), new Literal(0L, DataType.LONG));
    AggregateCall sum =
        new AggregateCall(
            AggregateFunction.SUM,
            argument,
            DataType.LONG,
            DataType.LONG,
            List.of(1),
            filter,
            false);
    AggregatePlan p = plan(AggregateMode.PARTIAL, List.of(col(0)), sum);
    assertThat(p.columnsRead()).containsExactly(0, 1, 3, 4);
    assertThat(p.keyColumnsRead()).containsExactly(0);
  }

  @Test
  void mergingModesReadKeysAndBufferColumnsOnly() {
    // FINAL SUM over the buffer in column 2, grouped by column 4.
    AggregateCall sum =
        new AggregateCall(
            AggregateFunction.SUM, col(1), DataType.LONG, DataType.LONG, List.of(2), null, false);
    AggregatePlan p = plan(AggregateMode.FINAL, List.of(col(4)), sum);
    assertThat(p.columnsRead()).containsExactly(2, 4);
    assertThat(p.keyColumnsRead()).containsExactly(4);
  }

  @Test
  void aKeylessCountStarReadsNothing() {
    AggregateCall count =
        new AggregateCall(
            AggregateFunction.COUNT_STAR, null, null, DataType.LONG, List.of(0), null, false);
    AggregatePlan p = plan(AggregateMode.PARTIAL, List.of(), count);
    assertThat(p.columnsRead()).isEmpty();
    assertThat(p.keyColumnsRead()).isEmpty();
  }
}
