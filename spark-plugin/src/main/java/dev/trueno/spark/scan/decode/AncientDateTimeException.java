package dev.trueno.spark.scan.decode;

/**
 * A date or timestamp before the Gregorian calendar switch in a file that does not say which
 * calendar wrote it, read with rebase mode {@link RebaseMode#EXCEPTION}. Spark raises its {@code
 * SparkUpgradeException} (INCONSISTENT_BEHAVIOR_CROSS_VERSION.READ_ANCIENT_DATETIME) here; the
 * DataSourceV2 maps this exception to that one, naming {@link #configKey()}.
 */
public final class AncientDateTimeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String configKey;
  private final String format;

  AncientDateTimeException(String file, String column, String configKey, String format) {
    super(
        "Cannot read parquet file "
            + file
            + ", column "
            + column
            + ": it may hold dates before 1582-10-15 or timestamps before 1900-01-01T00:00:00Z"
            + " written by a legacy writer in the hybrid Julian calendar, and the file does not"
            + " say which calendar it uses. Set "
            + configKey
            + " to LEGACY to rebase them to the proleptic Gregorian calendar, or to CORRECTED to"
            + " read them as stored.");
    this.configKey = configKey;
    this.format = format;
  }

  /** The format as Spark names it in this error: {@code Parquet} or {@code Parquet INT96}. */
  public String format() {
    return format;
  }

  /** The Spark conf key whose mode decided this: the datetime or the INT96 rebase mode. */
  public String configKey() {
    return configKey;
  }
}
