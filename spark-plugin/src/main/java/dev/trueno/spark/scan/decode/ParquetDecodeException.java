package dev.trueno.spark.scan.decode;

import java.io.IOException;

/**
 * A Parquet file that cannot be read: truncated, corrupt, with bad compressed data or values that
 * do not match its schema. The message names the file and, where known, the column and row group,
 * so a user can find the broken file among thousands.
 *
 * <p>{@link ParquetBatchReader#next()} cannot throw checked exceptions, so it throws this wrapped
 * in an {@link java.io.UncheckedIOException} (whose message is the same); callers unwrap it with
 * {@code getCause()}.
 */
public final class ParquetDecodeException extends IOException {
  private static final long serialVersionUID = 1L;
  private final String file;
  private final String column;
  private final int rowGroup;

  ParquetDecodeException(
      String file, String column, int rowGroup, String problem, Throwable cause) {
    super(message(file, column, rowGroup, problem), cause);
    this.file = file;
    this.column = column;
    this.rowGroup = rowGroup;
  }

  private static String message(String file, String column, int rowGroup, String problem) {
    StringBuilder sb = new StringBuilder("Cannot read parquet file ").append(file);
    if (column != null) {
      sb.append(", column ").append(column);
    }
    if (rowGroup >= 0) {
      sb.append(", row group ").append(rowGroup);
    }
    return sb.append(": ").append(problem).toString();
  }

  /** The file, as its {@code InputFile} prints it. */
  public String file() {
    return file;
  }

  /** The column being read, or null when the failure is not about one column (e.g. the footer). */
  public String column() {
    return column;
  }

  /** The row group's index in the footer, or -1 when not known. */
  public int rowGroup() {
    return rowGroup;
  }
}
