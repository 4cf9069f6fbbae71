package dev.trueno.spark.exec;

import org.apache.spark.sql.execution.SparkPlan;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The Scala bridge every two-child Trueno node needs, written once (the two-child counterpart of
 * {@link TruenoUnaryExec}).
 *
 * <p>Catalyst copies nodes by calling the constructor with {@code productElement}s, so a subclass
 * must have exactly one public constructor whose parameters are its product elements, in order.
 */
abstract class TruenoBinaryExec extends SparkPlan {
  private static final long serialVersionUID = 1L;

  /** The first child. */
  abstract SparkPlan left();

  /** The second child. */
  abstract SparkPlan right();

  /** A copy of this node over new children. */
  abstract TruenoBinaryExec withNewChildren(SparkPlan newLeft, SparkPlan newRight);

  /** The constructor arguments, in order (the last two are the children). */
  abstract Object[] productElements();

  @Override
  public Seq<SparkPlan> children() {
    return CollectionConverters.asScala(java.util.List.of(left(), right())).toList();
  }

  @Override
  public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> newChildren) {
    return withNewChildren(newChildren.apply(0), newChildren.apply(1));
  }

  @Override
  public int productArity() {
    return productElements().length;
  }

  @Override
  public Object productElement(int n) {
    return productElements()[n];
  }

  @Override
  public boolean canEqual(Object that) {
    return that != null && that.getClass() == getClass();
  }

  @Override
  public boolean equals(Object that) {
    return that instanceof TruenoBinaryExec other
        && other.getClass() == getClass()
        && java.util.Arrays.equals(productElements(), other.productElements());
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(productElements());
  }
}
