package dev.trueno.spark;

import dev.trueno.spark.config.TruenoConf;
import dev.trueno.spark.rules.TruenoColumnarRule;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSessionExtensions;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * The entry point named in {@code spark.sql.extensions=dev.trueno.spark.TruenoExtensions}: adds
 * Trueno's planning rules to every Spark session.
 */
public final class TruenoExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {

  /** Spark instantiates extensions by their no-argument constructor. */
  public TruenoExtensions() {}

  /**
   * Adds the rules. Spark calls this while it builds the session, after the SparkContext exists, so
   * a bad {@code spark.trueno.*} value fails here, at session start, naming the key.
   */
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    scala.Option<SparkContext> active = org.apache.spark.SparkContext$.MODULE$.getActive();
    if (active.isDefined()) {
      SparkConf conf = active.get().getConf();
      TruenoConf.of(key -> conf.getOption(key).getOrElse(() -> null))
          .validate(CollectionConvertersBridge.keys(conf.getAll()));
    }
    extensions.injectColumnar(session -> new TruenoColumnarRule());
    return BoxedUnit.UNIT;
  }
}
