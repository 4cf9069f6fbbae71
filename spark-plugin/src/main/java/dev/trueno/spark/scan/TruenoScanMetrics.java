package dev.trueno.spark.scan;

import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.metric.CustomSumMetric;

/**
 * The SQL metrics of the Trueno scan, shown on its {@code BatchScan} node.
 *
 * <p>The metric classes are public with public no-argument constructors because Spark creates them
 * by class name on the driver to aggregate the tasks' values for the UI.
 */
public final class TruenoScanMetrics {
  /** Files opened (row groups of one file spread over several tasks count once per task). */
  public static final String FILES = "truenoFilesRead";

  /** Row groups decoded. */
  public static final String ROW_GROUPS_READ = "truenoRowGroupsRead";

  /** Row groups skipped by min/max statistics of the pushed filters. */
  public static final String ROW_GROUPS_SKIPPED = "truenoRowGroupsSkipped";

  /** Compressed bytes of the column chunks decoded. */
  public static final String BYTES_READ = "truenoBytesRead";

  /** Time spent decoding Parquet into Arrow. */
  public static final String DECODE_TIME = "truenoDecodeTimeNs";

  private TruenoScanMetrics() {}

  static CustomMetric[] all() {
    return new CustomMetric[] {
      new FilesRead(),
      new RowGroupsRead(),
      new RowGroupsSkipped(),
      new BytesRead(),
      new DecodeTime()
    };
  }

  /** {@link #FILES}. */
  public static final class FilesRead extends CustomSumMetric {
    @Override
    public String name() {
      return FILES;
    }

    @Override
    public String description() {
      return "files read (trueno)";
    }
  }

  /** {@link #ROW_GROUPS_READ}. */
  public static final class RowGroupsRead extends CustomSumMetric {
    @Override
    public String name() {
      return ROW_GROUPS_READ;
    }

    @Override
    public String description() {
      return "row groups read (trueno)";
    }
  }

  /** {@link #ROW_GROUPS_SKIPPED}. */
  public static final class RowGroupsSkipped extends CustomSumMetric {
    @Override
    public String name() {
      return ROW_GROUPS_SKIPPED;
    }

    @Override
    public String description() {
      return "row groups skipped by statistics (trueno)";
    }
  }

  /** {@link #BYTES_READ}. */
  public static final class BytesRead extends CustomSumMetric {
    @Override
    public String name() {
      return BYTES_READ;
    }

    @Override
    public String description() {
      return "column chunk bytes read (trueno)";
    }
  }

  /** {@link #DECODE_TIME}, summed over tasks and shown in milliseconds. */
  public static final class DecodeTime extends CustomSumMetric {
    @Override
    public String name() {
      return DECODE_TIME;
    }

    @Override
    public String description() {
      return "decode time (trueno)";
    }

    @Override
    public String aggregateTaskMetrics(long[] taskMetrics) {
      long sum = 0;
      for (long v : taskMetrics) {
        sum += v;
      }
      return TimeUnit.NANOSECONDS.toMillis(sum) + " ms";
    }
  }
}
