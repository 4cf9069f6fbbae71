package dev.trueno.gpu.join;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.GpuBackend;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the GPU refuses to join, and why; needs no GPU. */
class JoinSupportTest {
  private static JoinPlan plan(DataType key, DataType payload, int keys) {
    List<Field> side = List.of(new Field("k", key, true), new Field("p", payload, true));
    List<dev.trueno.core.expr.Expr> refs = Collections.nCopies(keys, new ColumnRef(0, key, "k"));
    return new JoinPlan(JoinType.INNER, BuildSide.RIGHT, side, side, refs, refs, null);
  }

  @Test
  void fixedWidthKeysAndColumnsAreAccepted() {
    for (DataType t :
        List.of(
            DataType.BOOLEAN,
            DataType.BYTE,
            DataType.SHORT,
            DataType.INT,
            DataType.LONG,
            DataType.FLOAT,
            DataType.DOUBLE,
            DataType.DATE,
            DataType.TIMESTAMP,
            DataType.decimal(18, 2))) {
      assertThat(new GpuBackend().unsupportedReason(plan(t, DataType.decimal(30, 4), 4)))
          .as(t.toString())
          .isNull();
    }
  }

  @Test
  void stringKeysAreRefusedWithAReason() {
    assertThat(new GpuBackend().unsupportedReason(plan(DataType.STRING, DataType.LONG, 1)))
        .contains("string join keys are not on the GPU yet");
  }

  @Test
  void wideDecimalKeysAreRefusedWithAReason() {
    assertThat(JoinSupport.unsupportedReason(plan(DataType.decimal(20, 2), DataType.LONG, 1)))
        .contains("decimal join keys of more than 18 digits are not on the GPU yet");
  }

  @Test
  void moreThanFourKeysAreRefusedWithAReason() {
    assertThat(JoinSupport.unsupportedReason(plan(DataType.LONG, DataType.LONG, 5)))
        .contains("joins on more than 4 keys are not on the GPU yet (5 keys)");
  }

  @Test
  void stringColumnsThatAreOnlyOutputAreAccepted() {
    assertThat(JoinSupport.unsupportedReason(plan(DataType.LONG, DataType.STRING, 1))).isNull();
  }

  @Test
  void stringColumnsReadByTheConditionAreRefusedWithAReason() {
    List<Field> side =
        List.of(new Field("k", DataType.LONG, true), new Field("p", DataType.STRING, true));
    ColumnRef k = new ColumnRef(0, DataType.LONG, "k");
    JoinPlan plan =
        new JoinPlan(
            JoinType.INNER,
            BuildSide.RIGHT,
            side,
            side,
            List.of(k),
            List.of(k),
            new dev.trueno.core.expr.Comparison(
                dev.trueno.core.expr.ComparisonOp.LESS_THAN,
                new ColumnRef(1, DataType.STRING, "p"),
                new ColumnRef(3, DataType.STRING, "p")));
    assertThat(JoinSupport.unsupportedReason(plan)).isNotNull().contains("p");
  }
}
