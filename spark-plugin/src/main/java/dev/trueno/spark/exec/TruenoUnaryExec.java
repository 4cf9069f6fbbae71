package dev.trueno.spark.exec;

import org.apache.spark.sql.execution.SparkPlan;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The Scala bridge every single-child Trueno node needs, written once: children, copying with a new
 * child, and the {@code Product} methods Catalyst uses to copy and print nodes.
 *
 * <p>Catalyst copies nodes by calling the constructor with {@code productElement}s, so a subclass
 * must have exactly one public constructor whose parameters are its product elements, in order.
 */
abstract class TruenoUnaryExec extends SparkPlan {
  private static final long serialVersionUID = 1L;

  /** The single child. */
  abstract SparkPlan child();

  /** A copy of this node over a new child. */
  abstract TruenoUnaryExec withNewChild(SparkPlan newChild);

  /** The constructor arguments, in order (the last one is the child). */
  abstract Object[] productElements();

  @Override
  public Seq<SparkPlan> children() {
    return CollectionConverters.asScala(java.util.List.of(child())).toList();
  }

  @Override
  public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> newChildren) {
    return withNewChild(newChildren.apply(0));
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
    return that instanceof TruenoUnaryExec other
        && other.getClass() == getClass()
        && java.util.Arrays.equals(productElements(), other.productElements());
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(productElements());
  }
}
