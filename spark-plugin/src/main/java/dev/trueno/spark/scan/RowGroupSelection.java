package dev.trueno.spark.scan;

import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.filter2.predicate.FilterPredicate;
import org.apache.parquet.filter2.predicate.LogicalInverseRewriter;
import org.apache.parquet.filter2.statisticslevel.StatisticsFilter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.catalyst.util.RebaseDateTime;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFilters;
import org.apache.spark.sql.sources.Filter;

/**
 * Which row groups of one file a split reads: those whose midpoint lies in the split's byte range
 * (so each row group has exactly one reader), minus those the pushed filters' min/max statistics
 * rule out.
 */
final class RowGroupSelection {
  /** The row groups to read (indexes into the footer's blocks) and how many were skipped. */
  record Result(List<Integer> rowGroups, int skipped) {}

  private RowGroupSelection() {}

  static Result select(
      ParquetMetadata footer,
      long start,
      long length,
      ReadSettings settings,
      RebaseDateTime.RebaseSpec datetimeRebase) {
    FilterPredicate predicate =
        predicate(footer.getFileMetaData().getSchema(), settings, datetimeRebase);
    List<BlockMetaData> blocks = footer.getBlocks();
    List<Integer> selected = new ArrayList<>();
    int skipped = 0;
    for (int i = 0; i < blocks.size(); i++) {
      BlockMetaData block = blocks.get(i);
      if (block.getColumns().isEmpty()) {
        continue;
      }
      long midpoint = block.getStartingPos() + block.getCompressedSize() / 2;
      if (midpoint < start || midpoint >= start + length) {
        continue;
      }
      if (block.getRowCount() > 0
          && predicate != null
          && StatisticsFilter.canDrop(predicate, block.getColumns())) {
        skipped++;
        continue;
      }
      selected.add(i);
    }
    return new Result(selected, skipped);
  }

  /**
   * The pushed filters as one parquet-mr predicate over this file's schema, built by Spark's own
   * {@link ParquetFilters} so that what may be pushed (types, rebased dates, case sensitivity,
   * IN-list sizes) is exactly what Spark's reader pushes; null when none applies.
   */
  private static FilterPredicate predicate(
      MessageType schema, ReadSettings s, RebaseDateTime.RebaseSpec datetimeRebase) {
    if (!s.filterPushdown() || s.filters().length == 0) {
      return null;
    }
    ParquetFilters filters =
        new ParquetFilters(
            schema,
            s.pushDownDate(),
            s.pushDownTimestamp(),
            s.pushDownDecimal(),
            s.pushDownStringPredicate(),
            s.pushDownInThreshold(),
            s.caseSensitive(),
            datetimeRebase);
    FilterPredicate result = null;
    for (Filter f : s.filters()) {
      scala.Option<FilterPredicate> p = filters.createFilter(f);
      if (p.isDefined()) {
        result = result == null ? p.get() : FilterApi.and(result, p.get());
      }
    }
    // StatisticsFilter refuses NOT nodes; parquet-mr's own FilterCompat pushes them down first.
    return result == null ? null : LogicalInverseRewriter.rewrite(result);
  }
}
