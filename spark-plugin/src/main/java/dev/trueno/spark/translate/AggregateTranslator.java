package dev.trueno.spark.translate;

import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.EvalMode;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Average;
import org.apache.spark.sql.catalyst.expressions.aggregate.Complete$;
import org.apache.spark.sql.catalyst.expressions.aggregate.Count;
import org.apache.spark.sql.catalyst.expressions.aggregate.Final$;
import org.apache.spark.sql.catalyst.expressions.aggregate.Max;
import org.apache.spark.sql.catalyst.expressions.aggregate.Min;
import org.apache.spark.sql.catalyst.expressions.aggregate.Partial$;
import org.apache.spark.sql.catalyst.expressions.aggregate.PartialMerge$;
import org.apache.spark.sql.catalyst.expressions.aggregate.Sum;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Translates Spark's aggregate nodes into an {@link AggregatePlan}, or gives the reason it must
 * stay on Spark.
 */
public final class AggregateTranslator {
  private AggregateTranslator() {}

  /**
   * The outcome of a translation: a plan, or the reason there is none.
   *
   * @param plan the plan, or null
   * @param reason why the aggregate stays on Spark, or null
   */
  public record Result(AggregatePlan plan, String reason) {}

  /**
   * Translates an aggregate (Spark's hash, object-hash or sort aggregate); never throws for
   * unsupported input.
   */
  public static Result translate(BaseAggregateExec agg) {
    try {
      return new Result(build(agg), null);
    } catch (Unsupported u) {
      return new Result(null, u.getMessage());
    }
  }

  private static AggregatePlan build(BaseAggregateExec agg) {
    SparkPlan child = ((SparkPlan) agg).children().head();
    if (agg.isStreaming()) {
      throw new Unsupported("streaming aggregation is not supported");
    }
    List<Attribute> childOutput = CollectionConverters.asJava(child.output());
    List<Field> input = new ArrayList<>();
    for (Attribute a : childOutput) {
      input.add(
          new Field(a.name(), SparkTypes.toTrueno(a.dataType(), "input column " + a.name()), true));
    }
    List<AggregateExpression> aggs = CollectionConverters.asJava(agg.aggregateExpressions());
    AggregateMode mode = mode(agg, aggs);
    ExpressionTranslator overInput = new ExpressionTranslator(childOutput);

    List<NamedExpression> grouping = CollectionConverters.asJava(agg.groupingExpressions());
    List<Expr> keys = new ArrayList<>();
    List<String> keyNames = new ArrayList<>();
    List<Attribute> keyAttributes = new ArrayList<>();
    for (NamedExpression g : grouping) {
      keys.add(overInput.translate((Expression) g));
      keyNames.add(g.name());
      keyAttributes.add(g.toAttribute());
    }

    Map<ExprId, Integer> inputOrdinals = new HashMap<>();
    for (int i = 0; i < childOutput.size(); i++) {
      inputOrdinals.putIfAbsent(childOutput.get(i).exprId(), i);
    }
    List<AggregateCall> calls = new ArrayList<>();
    for (AggregateExpression ae : aggs) {
      calls.add(call(ae, mode, overInput, inputOrdinals));
    }

    List<Expr> projection = new ArrayList<>();
    List<String> projectionNames = new ArrayList<>();
    if (mode.outputsResults()) {
      List<Attribute> resultInput = new ArrayList<>(keyAttributes);
      resultInput.addAll(CollectionConverters.asJava(agg.aggregateAttributes()));
      ExpressionTranslator overResults = new ExpressionTranslator(resultInput);
      for (NamedExpression r : CollectionConverters.asJava(agg.resultExpressions())) {
        projection.add(overResults.translate((Expression) r));
        projectionNames.add(r.name());
      }
    }
    AggregatePlan plan =
        new AggregatePlan(input, keys, keyNames, calls, mode, projection, projectionNames);
    checkOutputMatches(plan, CollectionConverters.asJava(agg.output()));
    return plan;
  }

  private static AggregateMode mode(BaseAggregateExec agg, List<AggregateExpression> aggs) {
    Set<Object> modes = new HashSet<>();
    for (AggregateExpression ae : aggs) {
      modes.add(ae.mode());
    }
    if (modes.size() > 1) {
      throw new Unsupported(
          "it mixes aggregate modes " + modes + " (as Spark plans some DISTINCT aggregates)");
    }
    if (modes.isEmpty()) {
      // Only grouping (e.g. the de-duplication steps of DISTINCT): keys in, keys out. Spark gives
      // its partial steps no distribution requirement and its final steps one, which tells the
      // phase (so spark.trueno.aggregate.modes applies as a user expects).
      return agg.requiredChildDistributionExpressions().isDefined()
          ? AggregateMode.FINAL
          : AggregateMode.PARTIAL;
    }
    Object m = modes.iterator().next();
    if (m == Partial$.MODULE$) {
      return AggregateMode.PARTIAL;
    }
    if (m == PartialMerge$.MODULE$) {
      return AggregateMode.PARTIAL_MERGE;
    }
    if (m == Final$.MODULE$) {
      return AggregateMode.FINAL;
    }
    if (m == Complete$.MODULE$) {
      return AggregateMode.COMPLETE;
    }
    throw new Unsupported("aggregate mode " + m + " is not supported");
  }

  private static AggregateCall call(
      AggregateExpression ae,
      AggregateMode mode,
      ExpressionTranslator overInput,
      Map<ExprId, Integer> inputOrdinals) {
    // A physical aggregate never de-duplicates: Spark plans DISTINCT as grouping steps below and
    // keeps isDistinct on the function only for display, so the flag changes nothing here.
    org.apache.spark.sql.catalyst.expressions.aggregate.AggregateFunction fn =
        ae.aggregateFunction();
    AggregateFunction function;
    Expression argument;
    boolean ansi = false;
    if (fn instanceof Sum s) {
      function = AggregateFunction.SUM;
      argument = s.child();
      ansi = ansi(s.evalContext().evalMode(), s.evalContext().allowDecimalPrecisionLoss(), fn);
    } else if (fn instanceof Average a) {
      function = AggregateFunction.AVG;
      argument = a.child();
      ansi =
          ansi(
              a.evalMode(),
              org.apache.spark.sql.internal.SQLConf.get().decimalOperationsAllowPrecisionLoss(),
              fn);
    } else if (fn instanceof Min m) {
      function = AggregateFunction.MIN;
      argument = m.child();
    } else if (fn instanceof Max m) {
      function = AggregateFunction.MAX;
      argument = m.child();
    } else if (fn instanceof Count c) {
      List<Expression> children = CollectionConverters.asJava(c.children());
      if (children.size() != 1) {
        throw new Unsupported("COUNT of " + children.size() + " columns is not supported");
      }
      argument = children.get(0);
      boolean star =
          argument instanceof org.apache.spark.sql.catalyst.expressions.Literal l
              && l.value() != null;
      function = star ? AggregateFunction.COUNT_STAR : AggregateFunction.COUNT;
    } else {
      throw new Unsupported("aggregate function " + fn.prettyName() + " is not supported");
    }
    DataType argumentType =
        function == AggregateFunction.COUNT_STAR
            ? DataType.LONG
            : SparkTypes.toTrueno(argument.dataType(), "argument of " + fn.prettyName());
    DataType resultType = SparkTypes.toTrueno(fn.dataType(), "result of " + fn.prettyName());
    if (function == AggregateFunction.MIN || function == AggregateFunction.MAX) {
      if (argumentType.kind() == dev.trueno.core.types.TypeKind.BOOLEAN) {
        throw new Unsupported(fn.prettyName() + " of boolean is not supported");
      }
    }

    if (!mode.mergesBuffers()) {
      Expr arg = function == AggregateFunction.COUNT_STAR ? null : overInput.translate(argument);
      Expr filter = ae.filter().isDefined() ? overInput.translate(ae.filter().get()) : null;
      return new AggregateCall(function, arg, argumentType, resultType, List.of(), filter, ansi);
    }
    List<Integer> bufferOrdinals = new ArrayList<>();
    for (Attribute a : CollectionConverters.asJava(fn.inputAggBufferAttributes())) {
      Integer ordinal = inputOrdinals.get(a.exprId());
      if (ordinal == null) {
        throw new Unsupported("aggregation buffer " + a.sql() + " is not in the input");
      }
      bufferOrdinals.add(ordinal);
    }
    return new AggregateCall(function, null, argumentType, resultType, bufferOrdinals, null, ansi);
  }

  private static boolean ansi(
      scala.Enumeration.Value evalMode, boolean allowPrecisionLoss, Expression fn) {
    if (evalMode == EvalMode.TRY()) {
      throw new Unsupported(fn.prettyName() + " in TRY mode (try_sum/try_avg) is not supported");
    }
    if (!allowPrecisionLoss && fn.dataType() instanceof org.apache.spark.sql.types.DecimalType) {
      throw new Unsupported(
          "decimal "
              + fn.prettyName()
              + " with spark.sql.decimalOperations.allowPrecisionLoss=false is not supported");
    }
    return evalMode == EvalMode.ANSI();
  }

  /**
   * A safety net: the plan's output must have exactly the types Spark expects of this node (the
   * buffer layout of partial aggregates above all), or Spark's node stays.
   */
  private static void checkOutputMatches(AggregatePlan plan, List<Attribute> sparkOutput) {
    List<Field> ours = plan.output();
    if (ours.size() != sparkOutput.size()) {
      throw new Unsupported(
          "its output has "
              + sparkOutput.size()
              + " columns where Trueno's layout has "
              + ours.size());
    }
    for (int i = 0; i < ours.size(); i++) {
      Attribute a = sparkOutput.get(i);
      DataType expected = SparkTypes.toTrueno(a.dataType(), "output column " + a.name());
      if (!expected.equals(ours.get(i).type())) {
        throw new Unsupported(
            "output column "
                + a.name()
                + " is "
                + expected
                + " in Spark but "
                + ours.get(i).type()
                + " in Trueno's layout");
      }
    }
  }
}
