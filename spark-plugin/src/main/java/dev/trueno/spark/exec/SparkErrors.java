package dev.trueno.spark.exec;

import dev.trueno.core.error.TruenoException;
import dev.trueno.spark.config.TruenoConf;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.spark.sql.errors.QueryExecutionErrors;

/**
 * Turns Trueno's errors into the exceptions vanilla Spark raises for the same query, so that a
 * query that fails on Spark (ANSI overflow, division by zero) fails the same way with Trueno.
 */
final class SparkErrors {
  private SparkErrors() {}

  static RuntimeException translate(RuntimeException e) {
    if (e instanceof TruenoException t) {
      return switch (t.code()) {
        case ARITHMETIC_OVERFLOW ->
            QueryExecutionErrors.arithmeticOverflowError(
                rawMessage(t), "try_add", QueryExecutionErrors.arithmeticOverflowError$default$3());
        case DIVIDE_BY_ZERO -> QueryExecutionErrors.divideByZeroError(null);
        case NUMERIC_VALUE_OUT_OF_RANGE ->
            // Spark's message names the value; the backend's message describes it.
            new org.apache.spark.SparkArithmeticException(
                "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION",
                params(
                    "value", rawMessage(t),
                    "precision", "-",
                    "scale", "-",
                    "config", "\"spark.sql.ansi.enabled\""),
                new org.apache.spark.QueryContext[0]);
        default -> t;
      };
    }
    if (e instanceof OutOfMemoryException oom) {
      return new TruenoException(
          dev.trueno.core.error.ErrorCode.MEMORY_EXHAUSTED,
          "A Trueno operator needed more off-heap memory than "
              + TruenoConf.TASK_MEMORY_BYTES.key()
              + " allows for one task; raise it or lower spark.sql.shuffle.partitions' share of "
              + "data per task",
          oom);
    }
    return e;
  }

  private static scala.collection.immutable.Map<String, String> params(String... kv) {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return scala.collection.immutable.Map.from(scala.jdk.javaapi.CollectionConverters.asScala(m));
  }

  /** The message without the code prefix Trueno adds. */
  private static String rawMessage(TruenoException t) {
    String m = t.getMessage();
    String prefix = "[" + t.code() + "] ";
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
