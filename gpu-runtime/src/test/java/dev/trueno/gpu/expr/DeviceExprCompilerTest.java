package dev.trueno.gpu.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.Arithmetic;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.CaseWhen;
import dev.trueno.core.expr.Cast;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.expr.Negate;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.scalar.ScalarEval;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceExprCompilerTest {
  private static final List<Field> INPUT = RandomExprs.SCHEMA;
  private static final ColumnRef I32 = new ColumnRef(3, DataType.INT, "i32");
  private static final ColumnRef I8 = new ColumnRef(1, DataType.BYTE, "i8");
  private static final ColumnRef F64 = new ColumnRef(6, DataType.DOUBLE, "f64");
  private static final ColumnRef D10 = new ColumnRef(8, DataType.decimal(10, 2), "d10");
  private static final ColumnRef B = new ColumnRef(0, DataType.BOOLEAN, "b");

  @Test
  void columnsReadAreTheDistinctOrdinalsAscending() {
    Expr e =
        new Comparison(
            ComparisonOp.LESS_THAN,
            new Arithmetic(ArithmeticOp.ADD, F64, F64, DataType.DOUBLE, false),
            new Cast(I32, DataType.DOUBLE, false));
    DeviceExpr compiled = DeviceExpr.compile(e, INPUT);
    assertThat(compiled.columnsRead()).containsExactly(3, 6);
    assertThat(compiled.type()).isEqualTo(DataType.BOOLEAN);
    assertThat(compiled.canRaise()).isFalse();
  }

  @Test
  void ansiArithmeticCanRaise() {
    Expr e = new Arithmetic(ArithmeticOp.ADD, I32, I32, DataType.INT, true);
    assertThat(DeviceExpr.compile(e, INPUT).canRaise()).isTrue();
  }

  @Test
  void stringsTimestampsAndWideDecimalsHaveReasons() {
    List<Field> input =
        List.of(
            new Field("s", DataType.STRING, true),
            new Field("t", DataType.TIMESTAMP, true),
            new Field("w", DataType.decimal(20, 2), true));
    assertThat(DeviceExpr.unsupportedReason(new ColumnRef(0, DataType.STRING, "s"), input))
        .isEqualTo(
            "column s is not on the GPU yet: strings are not supported by the GPU evaluator");
    assertThat(DeviceExpr.unsupportedReason(new ColumnRef(1, DataType.TIMESTAMP, "t"), input))
        .contains("column t is not on the GPU yet: timestamps");
    assertThat(DeviceExpr.unsupportedReason(new ColumnRef(2, DataType.decimal(20, 2), "w"), input))
        .contains("decimal(20,2) needs more than 64 bits");
  }

  @Test
  void decimalDivisionAndFloatingToDecimalCastsHaveReasons() {
    Expr div = new Arithmetic(ArithmeticOp.DIVIDE, D10, D10, DataType.decimal(18, 6), false);
    assertThat(DeviceExpr.unsupportedReason(div, INPUT))
        .startsWith("decimal(10,2) / decimal(10,2) -> decimal(18,6) is not on the GPU yet");
    Expr cast = new Cast(F64, DataType.decimal(10, 2), false);
    assertThat(DeviceExpr.unsupportedReason(cast, INPUT))
        .startsWith("CAST(double AS decimal(10,2)) is not on the GPU yet");
    assertThatThrownBy(() -> DeviceExpr.compile(cast, INPUT))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("shortest decimal string");
  }

  @Test
  void mismatchedColumnTypeHasAReason() {
    assertThat(DeviceExpr.unsupportedReason(new ColumnRef(3, DataType.LONG, "i32"), INPUT))
        .isEqualTo("column i32 is not on the GPU yet: the input column is int, not long");
  }

  @Test
  void literalsOfTheWrongFormOrTooManyDigitsHaveReasons() {
    assertThat(DeviceExpr.unsupportedReason(new Literal("x", DataType.INT), INPUT))
        .contains("its value is a String");
    assertThat(
            DeviceExpr.unsupportedReason(
                new Literal(new BigDecimal("1.234"), DataType.decimal(10, 2)), INPUT))
        .contains("more fraction digits than the scale 2");
    // Boxed forms other engines hand over are accepted, as the scalar accepts them.
    assertThat(DeviceExpr.unsupportedReason(new Literal(7, DataType.INT), INPUT)).isNull();
    assertThat(DeviceExpr.unsupportedReason(new Literal(1.5f, DataType.FLOAT), INPUT)).isNull();
  }

  @Test
  void deepExpressionsAreRefusedForRegisters() {
    Expr e = I32;
    for (int i = 0; i < 70; i++) {
      e = new Arithmetic(ArithmeticOp.ADD, I32, e, DataType.INT, false);
    }
    assertThat(DeviceExpr.unsupportedReason(e, INPUT)).contains("registers");
  }

  // ---- errors: the model of the kernel raises exactly what the scalar raises ----

  private static void sameAsScalar(Expr e, Object... row) {
    Object[] full = new Object[INPUT.size()];
    System.arraycopy(row, 0, full, 0, row.length);
    DeviceExpr compiled = DeviceExpr.compile(e, INPUT);
    TruenoException expected = null;
    Object value = null;
    try {
      value = ScalarEval.eval(e, o -> full[o]);
    } catch (TruenoException x) {
      expected = x;
    }
    if (expected == null) {
      assertThat(RandomExprs.same(KernelModel.run(compiled, full, RandomExprs.TYPES), value))
          .isTrue();
      return;
    }
    TruenoException fromScalar = expected;
    assertThatThrownBy(() -> KernelModel.run(compiled, full, RandomExprs.TYPES))
        .isInstanceOf(TruenoException.class)
        .hasMessage(fromScalar.getMessage());
  }

  @Test
  void ansiIntegerOverflowIsTheScalarsError() {
    sameAsScalar(
        new Arithmetic(ArithmeticOp.ADD, I32, I32, DataType.INT, true),
        null,
        null,
        null,
        (long) Integer.MAX_VALUE);
    sameAsScalar(new Arithmetic(ArithmeticOp.MULTIPLY, I8, I8, DataType.BYTE, true), null, 100L);
    sameAsScalar(new Negate(I8, true), null, (long) Byte.MIN_VALUE);
  }

  @Test
  void ansiCastsAndDecimalsRaiseTheScalarsErrors() {
    sameAsScalar(new Cast(F64, DataType.INT, true), null, null, null, null, null, null, 3e9);
    sameAsScalar(new Cast(I32, DataType.BYTE, true), null, null, null, 300L);
    sameAsScalar(new Cast(D10, DataType.SHORT, true), row(8, new BigDecimal("40000.55")));
    sameAsScalar(new Cast(D10, DataType.decimal(4, 1), true), row(8, new BigDecimal("999.96")));
    sameAsScalar(
        new Arithmetic(ArithmeticOp.MULTIPLY, D10, D10, DataType.decimal(18, 4), true),
        row(8, new BigDecimal("99999999.99")));
  }

  @Test
  void divisionByZeroIsNullWithoutAnsiAndAnErrorWithIt() {
    sameAsScalar(new Arithmetic(ArithmeticOp.REMAINDER, I32, I32, DataType.INT, false), row(3, 0L));
    sameAsScalar(new Arithmetic(ArithmeticOp.REMAINDER, I32, I32, DataType.INT, true), row(3, 0L));
    sameAsScalar(
        new Arithmetic(ArithmeticOp.DIVIDE, F64, F64, DataType.DOUBLE, true), row(6, -0.0));
  }

  @Test
  void branchesTheScalarSkipsRaiseNothing() {
    Expr overflow = new Arithmetic(ArithmeticOp.ADD, I32, I32, DataType.INT, true);
    Expr e =
        new CaseWhen(
            List.of(new CaseWhen.Branch(B, overflow)), new Literal(1L, DataType.INT), DataType.INT);
    Object[] row = row(3, (long) Integer.MAX_VALUE);
    row[0] = false;
    sameAsScalar(e, row);
    row[0] = null;
    sameAsScalar(e, row);
    row[0] = true;
    sameAsScalar(e, row);
  }

  private static Object[] row(int ordinal, Object value) {
    Object[] row = new Object[INPUT.size()];
    row[ordinal] = value;
    return row;
  }
}
