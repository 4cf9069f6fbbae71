package dev.trueno.spark.scan;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.StructType;

/**
 * Everything an executor needs to read its splits, taken from the session's configuration on the
 * driver when the query is planned, so every task reads with the settings the query was planned
 * with.
 *
 * @param columns the output columns, in order
 * @param partitionSchema the type of each file's partition values
 * @param filters the pushed filters (used only to skip row groups; Spark evaluates them again)
 * @param filterPushdown {@code spark.sql.parquet.filterPushdown}
 * @param pushDownDate {@code spark.sql.parquet.filterPushdown.date}
 * @param pushDownTimestamp {@code spark.sql.parquet.filterPushdown.timestamp}
 * @param pushDownDecimal {@code spark.sql.parquet.filterPushdown.decimal}
 * @param pushDownStringPredicate {@code spark.sql.parquet.filterPushdown.stringPredicate}
 * @param pushDownInThreshold {@code spark.sql.parquet.pushdown.inFilterThreshold}
 * @param caseSensitive {@code spark.sql.caseSensitive}: how output names match Parquet columns
 * @param datetimeRebaseMode the option or {@code spark.sql.parquet.datetimeRebaseModeInRead}
 * @param int96RebaseMode the option or {@code spark.sql.parquet.int96RebaseModeInRead}
 * @param ignoreCorruptFiles the option or {@code spark.sql.files.ignoreCorruptFiles}
 * @param ignoreMissingFiles the option or {@code spark.sql.files.ignoreMissingFiles}
 * @param batchBytes {@code spark.trueno.scan.batchBytes}
 * @param maxRows {@code spark.trueno.batch.maxRows}
 * @param taskMemoryBytes {@code spark.trueno.memory.taskBytes}
 * @param sessionZone {@code spark.sql.session.timeZone}
 */
record ReadSettings(
    List<ReadColumn> columns,
    StructType partitionSchema,
    Filter[] filters,
    boolean filterPushdown,
    boolean pushDownDate,
    boolean pushDownTimestamp,
    boolean pushDownDecimal,
    boolean pushDownStringPredicate,
    int pushDownInThreshold,
    boolean caseSensitive,
    String datetimeRebaseMode,
    String int96RebaseMode,
    boolean ignoreCorruptFiles,
    boolean ignoreMissingFiles,
    long batchBytes,
    int maxRows,
    long taskMemoryBytes,
    String sessionZone)
    implements Serializable {}
