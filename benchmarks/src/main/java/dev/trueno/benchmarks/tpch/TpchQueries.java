package dev.trueno.benchmarks.tpch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * The 22 TPC-H queries as Spark SQL, with the specification's validation substitution parameters,
 * and the tables they read.
 *
 * <p>The query texts are the resources {@code /tpch/q1.sql} to {@code /tpch/q22.sql}. Q11's
 * fraction is the SF 1 value 0.0001 at every scale; Q15's view is a common table expression.
 */
public final class TpchQueries {
  /** Number of TPC-H queries. */
  public static final int QUERY_COUNT = 22;

  /** The 8 TPC-H tables, each a folder of Parquet files under a dataset folder. */
  public static final List<String> TABLE_NAMES =
      List.of("nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem");

  private TpchQueries() {}

  /**
   * The Spark SQL text of TPC-H query {@code number}.
   *
   * @param number 1 to 22
   */
  public static String sql(int number) {
    if (number < 1 || number > QUERY_COUNT) {
      throw new IllegalArgumentException(
          "TPC-H query number must be between 1 and " + QUERY_COUNT + ", got " + number);
    }
    String resource = "/tpch/q" + number + ".sql";
    try (InputStream in = TpchQueries.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "TPC-H query resource " + resource + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read TPC-H query resource " + resource, e);
    }
  }

  /**
   * Registers the 8 tables of the dataset in {@code dataDir} as temporary views of {@code spark},
   * named as in the specification ({@code lineitem}, {@code orders}, ...).
   *
   * @throws IllegalArgumentException if a table folder is missing
   */
  public static void registerTables(SparkSession spark, Path dataDir) {
    for (String table : TABLE_NAMES) {
      Path tableDir = dataDir.resolve(table);
      if (!Files.isDirectory(tableDir)) {
        throw new IllegalArgumentException(
            "TPC-H table folder "
                + tableDir
                + " does not exist; generate the data with TpchDataGenerator first");
      }
      spark.read().parquet(tableDir.toString()).createOrReplaceTempView(table);
    }
  }
}
