package dev.trueno.spark.scan;

import dev.trueno.spark.config.TruenoConf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.execution.PartitionedFileUtil$;
import org.apache.spark.sql.execution.datasources.FileIndex;
import org.apache.spark.sql.execution.datasources.FilePartition;
import org.apache.spark.sql.execution.datasources.FilePartition$;
import org.apache.spark.sql.execution.datasources.FileStatusWithMetadata;
import org.apache.spark.sql.execution.datasources.PartitionDirectory;
import org.apache.spark.sql.execution.datasources.PartitionedFile;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.apache.spark.util.SerializableConfiguration;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The Trueno scan of some Parquet files: which files (a Spark file index and the partition filters
 * that prune it), which columns, and which filters may skip row groups. It is also its own {@link
 * Batch}: the splits are planned from the same state.
 *
 * <p>Two kinds of filters reach it. Partition filters select folders through the file index and are
 * exact. Data filters are only hints: they skip row groups whose min/max statistics prove no row
 * can match, and Spark evaluates them again on every row (the builder returns them all as post-scan
 * filters, and Spark keeps the {@code Filter} above a replaced V1 scan).
 */
final class TruenoScan implements Scan, Batch {
  private final FileIndex index;
  private final StructType partitionSchema;
  private final List<ReadColumn> columns;
  private final Seq<Expression> partitionFilters;
  private final Seq<Expression> dataFilters;
  private final Filter[] pushedFilters;
  private final Map<String, String> options;
  private final String origin;

  /**
   * A scan of the files {@code index} lists.
   *
   * @param index the files, with their partition values
   * @param partitionSchema the index's partition columns (what each file's values hold)
   * @param columns the output, in order
   * @param partitionFilters Catalyst filters over partition columns only (exact; prune folders)
   * @param dataFilters Catalyst filters over data columns (hints for the index)
   * @param pushedFilters the data filters Spark could translate (hints for row groups)
   * @param options the read options (case-sensitive keys as given; looked up case-insensitively)
   * @param origin what this scan stands in for, shown in the plan
   */
  TruenoScan(
      FileIndex index,
      StructType partitionSchema,
      List<ReadColumn> columns,
      Seq<Expression> partitionFilters,
      Seq<Expression> dataFilters,
      Filter[] pushedFilters,
      Map<String, String> options,
      String origin) {
    this.index = index;
    this.partitionSchema = partitionSchema;
    this.columns = List.copyOf(columns);
    this.partitionFilters = partitionFilters;
    this.dataFilters = dataFilters;
    this.pushedFilters = pushedFilters.clone();
    this.options = Map.copyOf(options);
    this.origin = origin;
  }

  List<ReadColumn> columns() {
    return columns;
  }

  /** The same scan producing {@code newColumns} (a selection of its columns). */
  TruenoScan withColumns(List<ReadColumn> newColumns) {
    return new TruenoScan(
        index,
        partitionSchema,
        newColumns,
        partitionFilters,
        dataFilters,
        pushedFilters,
        options,
        origin);
  }

  Filter[] pushedFilters() {
    return pushedFilters.clone();
  }

  @Override
  public StructType readSchema() {
    StructField[] fields = new StructField[columns.size()];
    for (int i = 0; i < fields.length; i++) {
      ReadColumn c = columns.get(i);
      fields[i] = new StructField(c.name(), c.type(), true, Metadata.empty());
    }
    return new StructType(fields);
  }

  @Override
  public String description() {
    return "TruenoScan parquet "
        + origin
        + " ["
        + columns.stream().map(ReadColumn::name).collect(Collectors.joining(", "))
        + "] PartitionFilters: "
        + CollectionConverters.asJava(partitionFilters).stream()
            .map(Expression::sql)
            .collect(Collectors.joining(", ", "[", "]"))
        + ", PushedFilters: "
        + Arrays.toString(pushedFilters);
  }

  @Override
  public Batch toBatch() {
    return this;
  }

  @Override
  public ColumnarSupportMode columnarSupportMode() {
    return ColumnarSupportMode.SUPPORTED;
  }

  @Override
  public CustomMetric[] supportedCustomMetrics() {
    return TruenoScanMetrics.all();
  }

  /**
   * Splits the selected files the way Spark's own file scans do (so {@code
   * spark.sql.files.maxPartitionBytes}, {@code openCostInBytes} and {@code minPartitionNum} mean
   * the same): files are cut into byte ranges and packed into partitions by Spark's {@link
   * FilePartition}. A row group belongs to the range that holds its midpoint, as in parquet-mr, so
   * every row group is read by exactly one task and no footer is read on the driver.
   */
  @Override
  public InputPartition[] planInputPartitions() {
    SparkSession spark = SparkSession.active();
    Seq<PartitionDirectory> selected = index.listFiles(partitionFilters, dataFilters);
    long maxSplitBytes = FilePartition$.MODULE$.maxSplitBytes(spark, selected);
    List<PartitionedFile> splits = new ArrayList<>();
    for (PartitionDirectory dir : CollectionConverters.asJava(selected)) {
      for (FileStatusWithMetadata file : CollectionConverters.asJava(dir.files())) {
        splits.addAll(
            CollectionConverters.asJava(
                PartitionedFileUtil$.MODULE$.splitFiles(
                    file, file.getPath(), true, maxSplitBytes, dir.values())));
      }
    }
    // Largest first, as Spark does, so the packing below balances the partitions.
    splits.sort(Comparator.comparingLong(PartitionedFile::length).reversed());
    Seq<FilePartition> partitions =
        FilePartition$.MODULE$.getFilePartitions(
            spark, CollectionConverters.asScala(splits).toList(), maxSplitBytes);
    return CollectionConverters.asJava(partitions).toArray(new InputPartition[0]);
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    SparkSession spark = SparkSession.active();
    SQLConf sql = SQLConf.get();
    TruenoConf conf = TruenoConf.of(key -> sql.getConfString(key, null));
    CaseInsensitiveStringMap opts = new CaseInsensitiveStringMap(options);
    ReadSettings settings =
        new ReadSettings(
            columns,
            partitionSchema,
            pushedFilters,
            sql.parquetFilterPushDown(),
            sql.parquetFilterPushDownDate(),
            sql.parquetFilterPushDownTimestamp(),
            sql.parquetFilterPushDownDecimal(),
            sql.parquetFilterPushDownStringPredicate(),
            sql.parquetFilterPushDownInFilterThreshold(),
            sql.caseSensitiveAnalysis(),
            opts.getOrDefault(
                "datetimeRebaseMode",
                sql.getConf(SQLConf.PARQUET_REBASE_MODE_IN_READ()).toString()),
            opts.getOrDefault(
                "int96RebaseMode",
                sql.getConf(SQLConf.PARQUET_INT96_REBASE_MODE_IN_READ()).toString()),
            opts.getBoolean("ignoreCorruptFiles", sql.ignoreCorruptFiles()),
            opts.getBoolean("ignoreMissingFiles", sql.ignoreMissingFiles()),
            conf.get(TruenoConf.SCAN_BATCH_BYTES),
            (int) (long) conf.get(TruenoConf.BATCH_ROWS),
            conf.get(TruenoConf.TASK_MEMORY_BYTES),
            sql.sessionLocalTimeZone());
    Configuration hadoopConf =
        spark
            .sessionState()
            .newHadoopConfWithOptions(
                scala.collection.immutable.Map.from(CollectionConverters.asScala(options)));
    Broadcast<SerializableConfiguration> broadcast =
        SerializableConfiguration.broadcast(spark.sparkContext(), hadoopConf);
    return new TruenoReaderFactory(settings, broadcast);
  }

  /**
   * Equal scans read the same rows, so Spark may reuse one's output for the other (a self-join
   * reads the table once). Filters compare by their SQL text, which leaves out expression ids that
   * differ between two otherwise equal scans.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof TruenoScan s
        && index.equals(s.index)
        && columns.equals(s.columns)
        && sqlOf(partitionFilters).equals(sqlOf(s.partitionFilters))
        && Arrays.asList(pushedFilters).equals(Arrays.asList(s.pushedFilters))
        && options.equals(s.options);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, columns, sqlOf(partitionFilters), Arrays.asList(pushedFilters));
  }

  private static List<String> sqlOf(Seq<Expression> filters) {
    return CollectionConverters.asJava(filters).stream().map(Expression::sql).sorted().toList();
  }

  @Override
  public String toString() {
    return description();
  }
}
