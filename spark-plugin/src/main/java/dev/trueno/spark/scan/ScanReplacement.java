package dev.trueno.spark.scan;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.execution.ExecSubqueryExpression$;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.datasources.DataSourceStrategy$;
import org.apache.spark.sql.execution.datasources.FileIndex;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec$;
import org.apache.spark.sql.execution.datasources.v2.parquet.ParquetScan;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Replaces Spark's own Parquet scans with the Trueno scan: a V1 {@link FileSourceScanExec} over
 * {@link ParquetFileFormat}, or a V2 {@link BatchScanExec} over {@link ParquetScan}, becomes a
 * {@link BatchScanExec} over a {@link TruenoScan} with the same output attributes, files, partition
 * pruning and pushed filters.
 *
 * <p>The {@code Filter} Spark planned above the scan stays, so every data filter is still evaluated
 * on each row; only partition filters (applied exactly by the file index, as Spark's scan does) are
 * not repeated above it.
 */
public final class ScanReplacement {
  /**
   * The decision about one Parquet scan.
   *
   * @param node the Trueno scan, or the original node when it stays on Spark
   * @param reason why it stays on Spark, or null when replaced
   */
  public record Decision(SparkPlan node, String reason) {}

  private ScanReplacement() {}

  /**
   * The decision for {@code plan}, or null when it is not a scan of Spark's Parquet source (other
   * formats, subclasses such as Delta's, and Trueno's own scans are not Trueno's to judge here).
   */
  public static Decision decide(SparkPlan plan) {
    if (plan instanceof FileSourceScanExec scan
        && scan.relation().fileFormat().getClass() == ParquetFileFormat.class) {
      return decideV1(scan);
    }
    if (plan instanceof BatchScanExec scan
        && scan.scan() != null
        && scan.scan().getClass() == ParquetScan.class) {
      return decideV2(scan, (ParquetScan) scan.scan());
    }
    return null;
  }

  /**
   * A {@code Project} that only selects columns of a Trueno scan, folded into the scan; null when
   * {@code plan} is anything else.
   *
   * <p>Spark's V1 scans always output every partition column and put such a {@code Project} above
   * them; left alone, that row-based node would make Spark convert the scan's Arrow batches to rows
   * and the operator above convert them back.
   */
  public static SparkPlan foldProjection(SparkPlan plan) {
    if (!(plan instanceof ProjectExec project)
        || !(project.child() instanceof BatchScanExec exec)
        || !(exec.scan() instanceof TruenoScan scan)) {
      return null;
    }
    List<Attribute> input = new ArrayList<>(CollectionConverters.asJava(exec.output()));
    List<Attribute> output = new ArrayList<>();
    List<ReadColumn> columns = new ArrayList<>();
    for (var e : CollectionConverters.asJava(project.projectList())) {
      if (!(e instanceof AttributeReference a)) {
        return null;
      }
      int i = -1;
      for (int k = 0; k < input.size(); k++) {
        if (input.get(k).exprId().equals(a.exprId())) {
          i = k;
        }
      }
      if (i < 0) {
        return null;
      }
      output.add(input.get(i));
      columns.add(scan.columns().get(i));
    }
    return batchScan(
        project,
        CollectionConverters.asScala(output).toList(),
        scan.withColumns(columns),
        exec.table());
  }

  private static Decision decideV1(FileSourceScanExec scan) {
    HadoopFsRelation relation = scan.relation();
    String reason = null;
    if (scan.bucketedScan()) {
      reason = "bucketed scans keep Spark's scan, whose output partitioning the plan relies on";
    } else if (hasSubquery(scan.partitionFilters())) {
      reason = "dynamic partition pruning (a partition filter with a subquery) is not supported";
    }
    StructType partitionSchema = relation.partitionSchema();
    List<ReadColumn> columns = new ArrayList<>();
    List<StructField> dataFields = new ArrayList<>();
    for (Attribute a : CollectionConverters.asJava(scan.output())) {
      int p = indexOf(partitionSchema, a.name());
      if (p >= 0) {
        columns.add(new ReadColumn(a.name(), a.dataType(), p));
      } else if (indexOf(relation.dataSchema(), a.name()) < 0) {
        reason = reason != null ? reason : "column " + a.name() + " is a metadata column";
      } else {
        columns.add(new ReadColumn(a.name(), a.dataType(), -1));
        dataFields.add(new StructField(a.name(), a.dataType(), true, a.metadata()));
      }
    }
    if (reason == null) {
      reason =
          ScanSupport.unsupportedReason(new StructType(dataFields.toArray(new StructField[0])));
    }
    if (reason != null) {
      return new Decision(scan, reason);
    }
    TruenoScan trueno =
        new TruenoScan(
            relation.location(),
            partitionSchema,
            dataFirst(columns),
            scan.partitionFilters(),
            scan.dataFilters(),
            translate(scan.dataFilters()),
            CollectionConverters.asJava(relation.options()),
            origin(
                relation.location(),
                scan.tableIdentifier().isDefined()
                    ? scan.tableIdentifier().get().unquotedString()
                    : null));
    StructType schema = trueno.readSchema();
    return new Decision(
        batchScan(scan, scan.output(), trueno, new ReplacedTable(trueno.description(), schema)),
        null);
  }

  private static Decision decideV2(BatchScanExec exec, ParquetScan parquet) {
    String reason = null;
    if (!exec.runtimeFilters().isEmpty()) {
      reason = "runtime filters (dynamic partition pruning) are not supported";
    } else if (parquet.pushedAggregate().isDefined()) {
      reason = "Spark pushed an aggregate into the Parquet scan (read from footers)";
    } else if (parquet.pushedVariantExtractions() != null
        && parquet.pushedVariantExtractions().length > 0) {
      reason = "Spark pushed variant extractions into the Parquet scan";
    } else {
      reason = ScanSupport.unsupportedReason(parquet.readDataSchema());
    }
    if (reason != null) {
      return new Decision(exec, reason);
    }
    StructType partitionSchema = parquet.fileIndex().partitionSchema();
    List<ReadColumn> columns = new ArrayList<>();
    for (StructField f : parquet.readDataSchema().fields()) {
      columns.add(new ReadColumn(f.name(), f.dataType(), -1));
    }
    for (StructField f : parquet.readPartitionSchema().fields()) {
      columns.add(new ReadColumn(f.name(), f.dataType(), indexOf(partitionSchema, f.name())));
    }
    TruenoScan trueno =
        new TruenoScan(
            parquet.fileIndex(),
            partitionSchema,
            columns,
            parquet.partitionFilters(),
            parquet.dataFilters(),
            parquet.pushedFilters(),
            parquet.options().asCaseSensitiveMap(),
            origin(parquet.fileIndex(), exec.table() == null ? null : exec.table().name()));
    return new Decision(batchScan(exec, exec.output(), trueno, exec.table()), null);
  }

  private static BatchScanExec batchScan(
      SparkPlan original, Seq<? extends Attribute> output, TruenoScan scan, Table table) {
    List<AttributeReference> attributes = new ArrayList<>();
    for (Attribute a : CollectionConverters.asJava(output)) {
      attributes.add((AttributeReference) a);
    }
    BatchScanExec node =
        new BatchScanExec(
            CollectionConverters.asScala(attributes).toList(),
            scan,
            CollectionConverters.asScala(List.<Expression>of()).toList(),
            BatchScanExec$.MODULE$.apply$default$4(),
            table,
            BatchScanExec$.MODULE$.apply$default$6());
    // Keeps the logical link, which adaptive execution uses to re-plan around this node.
    node.copyTagsFrom(original);
    return node;
  }

  /** A V1 scan's output is its data columns then its partition columns; keep that order. */
  private static List<ReadColumn> dataFirst(List<ReadColumn> columns) {
    List<ReadColumn> out = new ArrayList<>();
    columns.stream().filter(c -> !c.isPartition()).forEach(out::add);
    columns.stream().filter(ReadColumn::isPartition).forEach(out::add);
    return out;
  }

  private static Filter[] translate(Seq<Expression> dataFilters) {
    List<Filter> out = new ArrayList<>();
    for (Expression e : CollectionConverters.asJava(dataFilters)) {
      scala.Option<Filter> f = DataSourceStrategy$.MODULE$.translateFilter(e, true);
      if (f.isDefined()) {
        out.add(f.get());
      }
    }
    return out.toArray(new Filter[0]);
  }

  private static boolean hasSubquery(Seq<Expression> filters) {
    for (Expression e : CollectionConverters.asJava(filters)) {
      if (ExecSubqueryExpression$.MODULE$.hasSubquery(e)) {
        return true;
      }
    }
    return false;
  }

  private static int indexOf(StructType schema, String name) {
    StructField[] fields = schema.fields();
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].name().equalsIgnoreCase(name)) {
        return i;
      }
    }
    return -1;
  }

  private static String origin(FileIndex index, String table) {
    List<String> roots = new ArrayList<>();
    for (var p : CollectionConverters.asJava(index.rootPaths())) {
      roots.add(p.toString());
    }
    return (table == null ? "" : table + " ") + roots;
  }

  /** The table a replaced V1 scan reads, for {@link BatchScanExec}, which names it in plans. */
  private record ReplacedTable(String name, StructType schema) implements Table {
    @Override
    public Set<TableCapability> capabilities() {
      return EnumSet.of(TableCapability.BATCH_READ);
    }

    @Override
    @SuppressWarnings("deprecation")
    public StructType schema() {
      return schema;
    }

    @Override
    public Map<String, String> properties() {
      return Map.of();
    }
  }
}
