package dev.trueno.gpu.expr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.types.DataType;
import dev.trueno.simd.scalar.ScalarEval;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The compiled program, run by the Java model of the kernel, gives the scalar backend's value or
 * its exact exception on random expressions and rows: checks the compiler's evaluation order, the
 * jumps over unevaluated branches, decimal rounding, casts and the error wording without a GPU.
 */
class KernelModelPropertiesTest {

  @Property(tries = 3000)
  void compiledProgramsMatchTheScalarBackend(@ForAll long seed) {
    RandomExprs random = new RandomExprs(seed);
    DataType type = random.anyType();
    Expr expr = random.expr(type, 4);
    assertThat(DeviceExpr.unsupportedReason(expr, RandomExprs.SCHEMA))
        .as("seed %d: %s", seed, expr)
        .isNull();
    DeviceExpr compiled = DeviceExpr.compile(expr, RandomExprs.SCHEMA);
    for (int i = 0; i < 20; i++) {
      Object[] row = random.row();
      Object expected;
      TruenoException expectedError = null;
      try {
        expected = ScalarEval.eval(expr, o -> row[o]);
      } catch (TruenoException e) {
        expected = null;
        expectedError = e;
      }
      Object actual;
      TruenoException actualError = null;
      try {
        actual = KernelModel.run(compiled, row, RandomExprs.TYPES);
      } catch (TruenoException e) {
        actual = null;
        actualError = e;
      }
      String what = "seed " + seed + ", row " + java.util.Arrays.toString(row) + ": " + expr;
      if (expectedError != null) {
        assertThat(actualError).as(what).isNotNull();
        assertThat(actualError.code()).as(what).isEqualTo(expectedError.code());
        assertThat(actualError.getMessage()).as(what).isEqualTo(expectedError.getMessage());
      } else {
        assertThat(actualError).as(what).isNull();
        assertThat(RandomExprs.same(expected, actual))
            .as(what + ": expected " + expected + ", got " + actual)
            .isTrue();
      }
    }
  }
}
