package dev.trueno.spark.scan;

import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * The {@code trueno} data source: {@code spark.read.format("trueno").load(paths)} and {@code CREATE
 * TABLE t USING trueno LOCATION '...'} read Parquet files through the Trueno scan.
 *
 * <p>Spark finds it by its short name through {@code
 * META-INF/services/org.apache.spark.sql.sources.DataSourceRegister}.
 */
public final class TruenoSource implements TableProvider, DataSourceRegister {
  /** The name users give {@code format(...)} and {@code USING}. */
  public static final String SHORT_NAME = "trueno";

  /** Spark creates sources by their no-argument constructor. */
  public TruenoSource() {}

  @Override
  public String shortName() {
    return SHORT_NAME;
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    return FileSet.discover(SparkSession.active(), options.asCaseSensitiveMap(), null).schema();
  }

  /**
   * Takes the schema a catalog stored (or the user gave) rather than reading footers again; the
   * partition columns are still found from the folders, typed by that schema.
   */
  @Override
  public boolean supportsExternalMetadata() {
    return true;
  }

  @Override
  public Table getTable(
      StructType schema, Transform[] partitioning, Map<String, String> properties) {
    FileSet files = FileSet.discover(SparkSession.active(), properties, schema);
    return new TruenoTable(files);
  }
}
