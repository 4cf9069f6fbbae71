package dev.trueno.spark.scan;

import org.apache.spark.sql.connector.metric.CustomTaskMetric;

/** One reader's current value of one of the {@link TruenoScanMetrics}. */
record TaskMetric(String name, long value) implements CustomTaskMetric {}
