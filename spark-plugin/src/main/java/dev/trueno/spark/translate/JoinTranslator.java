package dev.trueno.spark.translate;

import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.Field;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.ExistenceJoin;
import org.apache.spark.sql.catalyst.plans.FullOuter$;
import org.apache.spark.sql.catalyst.plans.InnerLike;
import org.apache.spark.sql.catalyst.plans.LeftAnti$;
import org.apache.spark.sql.catalyst.plans.LeftOuter$;
import org.apache.spark.sql.catalyst.plans.LeftSemi$;
import org.apache.spark.sql.catalyst.plans.RightOuter$;
import org.apache.spark.sql.execution.SparkPlan;
import scala.Option;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Translates the parts of Spark's equi-join nodes (broadcast hash, shuffled hash, sort merge) into
 * a {@link JoinPlan}, or gives the reason the join must stay on Spark.
 */
public final class JoinTranslator {
  private JoinTranslator() {}

  /**
   * The outcome of a translation: a plan, or the reason there is none.
   *
   * @param plan the plan, or null
   * @param reason why the join stays on Spark, or null
   */
  public record Result(JoinPlan plan, String reason) {}

  /**
   * The Trueno join type of a Catalyst join type, or null when Trueno has none (e.g. a null-aware
   * anti join is a {@code LeftAnti} too: the caller checks that flag).
   */
  public static JoinType joinType(org.apache.spark.sql.catalyst.plans.JoinType t) {
    if (t instanceof InnerLike) {
      return JoinType.INNER;
    }
    if (t == LeftOuter$.MODULE$) {
      return JoinType.LEFT_OUTER;
    }
    if (t == RightOuter$.MODULE$) {
      return JoinType.RIGHT_OUTER;
    }
    if (t == FullOuter$.MODULE$) {
      return JoinType.FULL_OUTER;
    }
    if (t == LeftSemi$.MODULE$) {
      return JoinType.LEFT_SEMI;
    }
    if (t == LeftAnti$.MODULE$) {
      return JoinType.LEFT_ANTI;
    }
    if (t instanceof ExistenceJoin) {
      return JoinType.EXISTENCE;
    }
    return null;
  }

  /**
   * Translates one equi-join; never throws for unsupported input.
   *
   * @param joinNode Spark's join node (for its output attributes)
   * @param sparkType Catalyst's join type
   * @param buildSide the side to build the hash table on
   * @param leftKeys Spark's left keys
   * @param rightKeys Spark's right keys, pairwise equal to the left ones
   * @param condition the extra (non-equi) condition, if any
   * @param left the left child
   * @param right the right child
   */
  public static Result translate(
      SparkPlan joinNode,
      org.apache.spark.sql.catalyst.plans.JoinType sparkType,
      BuildSide buildSide,
      Seq<Expression> leftKeys,
      Seq<Expression> rightKeys,
      Option<Expression> condition,
      SparkPlan left,
      SparkPlan right) {
    try {
      return new Result(
          build(joinNode, sparkType, buildSide, leftKeys, rightKeys, condition, left, right), null);
    } catch (Unsupported u) {
      return new Result(null, u.getMessage());
    }
  }

  private static JoinPlan build(
      SparkPlan joinNode,
      org.apache.spark.sql.catalyst.plans.JoinType sparkType,
      BuildSide buildSide,
      Seq<Expression> leftKeysSeq,
      Seq<Expression> rightKeysSeq,
      Option<Expression> condition,
      SparkPlan left,
      SparkPlan right) {
    JoinType type = joinType(sparkType);
    if (type == null) {
      throw new Unsupported("join type " + sparkType + " is not supported");
    }
    List<Expression> leftKeys = CollectionConverters.asJava(leftKeysSeq);
    List<Expression> rightKeys = CollectionConverters.asJava(rightKeysSeq);
    if (leftKeys.isEmpty()) {
      throw new Unsupported("a join without equi-join keys is not supported");
    }
    List<Attribute> leftOutput = CollectionConverters.asJava(left.output());
    List<Attribute> rightOutput = CollectionConverters.asJava(right.output());
    List<Field> leftFields = fields(leftOutput, "left");
    List<Field> rightFields = fields(rightOutput, "right");
    ExpressionTranslator overLeft = new ExpressionTranslator(leftOutput);
    ExpressionTranslator overRight = new ExpressionTranslator(rightOutput);
    List<Expr> lk = new ArrayList<>();
    List<Expr> rk = new ArrayList<>();
    for (int i = 0; i < leftKeys.size(); i++) {
      Expr l = overLeft.translate(leftKeys.get(i));
      Expr r = overRight.translate(rightKeys.get(i));
      if (!l.type().equals(r.type())) {
        throw new Unsupported(
            "join key "
                + leftKeys.get(i).sql()
                + " = "
                + rightKeys.get(i).sql()
                + " compares "
                + l.type()
                + " with "
                + r.type());
      }
      lk.add(l);
      rk.add(r);
    }
    Expr cond = null;
    if (condition.isDefined()) {
      List<Attribute> both = new ArrayList<>(leftOutput);
      both.addAll(rightOutput);
      cond = new ExpressionTranslator(both).translate(condition.get());
    }
    JoinPlan plan = new JoinPlan(type, buildSide, leftFields, rightFields, lk, rk, cond);
    List<Attribute> output = CollectionConverters.asJava(joinNode.output());
    List<Field> planOutput = plan.output();
    if (output.size() != planOutput.size()) {
      throw new Unsupported(
          "the join's output has "
              + output.size()
              + " columns where a "
              + type
              + " join gives "
              + planOutput.size());
    }
    for (int i = 0; i < output.size(); i++) {
      var t =
          SparkTypes.toTrueno(output.get(i).dataType(), "output column " + output.get(i).name());
      if (!t.equals(planOutput.get(i).type())) {
        throw new Unsupported(
            "output column "
                + output.get(i).name()
                + " has type "
                + t
                + ", the join gives "
                + planOutput.get(i).type());
      }
    }
    return plan;
  }

  private static List<Field> fields(List<Attribute> attributes, String side) {
    List<Field> out = new ArrayList<>(attributes.size());
    for (Attribute a : attributes) {
      out.add(
          new Field(
              a.name(),
              SparkTypes.toTrueno(a.dataType(), side + " column " + a.name()),
              // Nullable like the aggregate's input: Spark's nullability is a hint that some
              // plans (outer joins under AQE) get wrong, and a wrong "not null" is a wrong answer.
              true));
    }
    return out;
  }
}
