package dev.trueno.benchmarks.tpch;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class RowComparisonTest {
  private final RowComparison comparison = RowComparison.withDefaultTolerance();

  @Test
  void ignoresRowOrderButCountsDuplicates() {
    List<Row> expected = List.of(row("a", 1L), row("b", 2L), row("a", 1L));
    assertThat(comparison.compare(expected, List.of(row("b", 2L), row("a", 1L), row("a", 1L))))
        .isEqualTo(new RowComparison.Result(true, "same 3 rows"));

    RowComparison.Result missingDuplicate =
        comparison.compare(expected, List.of(row("b", 2L), row("a", 1L)));
    assertThat(missingDuplicate.matches()).isFalse();
    assertThat(missingDuplicate.description()).contains("missing    [a, 1]");
  }

  @Test
  void doublesMatchWithinTheRelativeTolerance() {
    assertThat(comparison.compare(List.of(row("x", 1e12)), List.of(row("x", 1e12 + 1e2))).matches())
        .isTrue();
    assertThat(comparison.compare(List.of(row("x", 1.0)), List.of(row("x", 1.0 + 1e-6))).matches())
        .isFalse();
    assertThat(
            comparison
                .compare(
                    List.of(row("x", Double.NaN), row("y", -0.0)),
                    List.of(row("y", 0.0), row("x", Double.NaN)))
                .matches())
        .isTrue();
  }

  @Test
  void tolerantDoublesPairUpEvenWhenTheyReorderRows() {
    List<Row> expected = List.of(row("k", 1.0, 5.0), row("k", 1.0 + 1e-12, 6.0));
    List<Row> actual = List.of(row("k", 1.0 + 1e-12, 5.0), row("k", 1.0, 6.0));
    assertThat(comparison.compare(expected, actual).matches()).isTrue();
  }

  @Test
  void decimalsMustBeExact() {
    RowComparison.Result result =
        comparison.compare(
            List.of(row(new BigDecimal("10.00"))), List.of(row(new BigDecimal("10.01"))));
    assertThat(result.matches()).isFalse();
    assertThat(result.description()).contains("unexpected [10.01]");
    assertThat(
            comparison
                .compare(
                    List.of(row(new BigDecimal("10.0"))), List.of(row(new BigDecimal("10.00"))))
                .matches())
        .isTrue();
  }

  @Test
  void nullsOnlyMatchNulls() {
    assertThat(comparison.compare(List.of(row((Object) null)), List.of(row(0.0))).matches())
        .isFalse();
    assertThat(
            comparison.compare(List.of(row((Object) null)), List.of(row((Object) null))).matches())
        .isTrue();
  }

  @Test
  void schemasWithOtherTypesDiffer() {
    StructType decimal = new StructType().add("v", DataTypes.createDecimalType(15, 2));
    StructType wider = new StructType().add("v", DataTypes.createDecimalType(25, 2));
    RowComparison.Result result = comparison.compare(decimal, List.of(), wider, List.of());
    assertThat(result.matches()).isFalse();
    assertThat(result.description()).contains("schemas differ").contains("decimal(25,2)");
  }

  private static Row row(Object... values) {
    return RowFactory.create(values);
  }
}
