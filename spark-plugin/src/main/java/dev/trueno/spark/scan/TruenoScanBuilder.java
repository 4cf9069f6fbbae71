package dev.trueno.spark.scan;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.connector.expressions.filter.Predicate;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.SupportsPushDownRequiredColumns;
import org.apache.spark.sql.execution.datasources.DataSourceStrategy$;
import org.apache.spark.sql.execution.datasources.DataSourceUtils$;
import org.apache.spark.sql.internal.connector.SupportsPushDownCatalystFilters;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Builds a {@link TruenoScan} from the columns and filters Spark pushes.
 *
 * <p>Filters arrive as Catalyst expressions (the interface Spark's own file sources use), because
 * partition filters must reach the file index as expressions to prune folders. Every filter is
 * returned to Spark as a post-scan filter: partition pruning is exact but cheap to re-check, and
 * data filters only skip row groups, so Spark must still evaluate them on each row.
 */
final class TruenoScanBuilder
    implements SupportsPushDownCatalystFilters, SupportsPushDownRequiredColumns {
  private final FileSet files;
  private StructType required;
  private Seq<Expression> partitionFilters =
      CollectionConverters.asScala(List.<Expression>of()).toList();
  private Seq<Expression> dataFilters =
      CollectionConverters.asScala(List.<Expression>of()).toList();
  private Filter[] pushed = new Filter[0];

  TruenoScanBuilder(FileSet files) {
    this.files = files;
    this.required = files.schema();
  }

  @Override
  public void pruneColumns(StructType requiredSchema) {
    required = requiredSchema;
  }

  @Override
  public Seq<Expression> pushFilters(Seq<Expression> filters) {
    Tuple2<Seq<Expression>, Seq<Expression>> split =
        DataSourceUtils$.MODULE$.getPartitionFiltersAndDataFilters(
            files.partitionSchema(), filters);
    partitionFilters = split._1();
    dataFilters = split._2();
    List<Filter> translated = new ArrayList<>();
    for (Expression e : CollectionConverters.asJava(dataFilters)) {
      scala.Option<Filter> f = DataSourceStrategy$.MODULE$.translateFilter(e, true);
      if (f.isDefined()) {
        translated.add(f.get());
      }
    }
    pushed = translated.toArray(new Filter[0]);
    return filters;
  }

  @Override
  public Predicate[] pushedFilters() {
    Predicate[] out = new Predicate[pushed.length];
    for (int i = 0; i < pushed.length; i++) {
      out[i] = pushed[i].toV2();
    }
    return out;
  }

  /**
   * The scan over the required columns: data columns first, then partition columns, as Spark's file
   * scans order them.
   *
   * @throws UnsupportedOperationException naming the first required column the scan cannot read
   */
  @Override
  public Scan build() {
    List<ReadColumn> dataColumns = new ArrayList<>();
    List<ReadColumn> partitionColumns = new ArrayList<>();
    List<StructField> dataFields = new ArrayList<>();
    StructField[] partitionFields = files.partitionSchema().fields();
    for (StructField f : required.fields()) {
      int p = -1;
      for (int i = 0; i < partitionFields.length; i++) {
        if (partitionFields[i].name().equalsIgnoreCase(f.name())) {
          p = i;
        }
      }
      if (p >= 0) {
        partitionColumns.add(new ReadColumn(f.name(), partitionFields[p].dataType(), p));
      } else {
        dataColumns.add(new ReadColumn(f.name(), f.dataType(), -1));
        dataFields.add(f);
      }
    }
    String reason =
        ScanSupport.unsupportedReason(new StructType(dataFields.toArray(new StructField[0])));
    if (reason != null) {
      throw new UnsupportedOperationException(
          "format(\"trueno\") cannot read "
              + reason
              + " (paths "
              + FileSet.paths(files.options())
              + "). Read these files with format(\"parquet\"), or select other columns.");
    }
    dataColumns.addAll(partitionColumns);
    return new TruenoScan(
        files.index(),
        files.partitionSchema(),
        dataColumns,
        partitionFilters,
        dataFilters,
        pushed,
        files.options(),
        FileSet.paths(files.options()).toString());
  }
}
