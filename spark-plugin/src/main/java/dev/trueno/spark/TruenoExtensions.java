package dev.trueno.spark;

import dev.trueno.spark.config.TruenoConf;
import dev.trueno.spark.rules.TruenoColumnarRule;
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

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    extensions.injectColumnar(
        session -> {
          // Fail at session start, naming the key, rather than on the first query. (The session
          // state is being built here, so the SparkConf is what can be read.)
          var conf = session.sparkContext().getConf();
          TruenoConf.of(key -> conf.getOption(key).getOrElse(() -> null))
              .validate(CollectionConvertersBridge.keys(conf.getAll()));
          return new TruenoColumnarRule();
        });
    return BoxedUnit.UNIT;
  }
}
