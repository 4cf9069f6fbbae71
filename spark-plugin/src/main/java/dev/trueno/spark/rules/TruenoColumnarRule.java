package dev.trueno.spark.rules;

import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.ColumnarRule;
import org.apache.spark.sql.execution.SparkPlan;

/** Hooks {@link TruenoOverrides} into Spark's columnar planning, before transitions are added. */
public final class TruenoColumnarRule extends ColumnarRule {
  private final TruenoOverrides overrides = new TruenoOverrides();

  @Override
  public Rule<SparkPlan> preColumnarTransitions() {
    return overrides;
  }
}
