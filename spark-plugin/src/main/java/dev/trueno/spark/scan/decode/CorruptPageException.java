package dev.trueno.spark.scan.decode;

/**
 * Page bytes that do not decode. Internal to the package: the column reader adds the file, column
 * and row group and throws a {@link ParquetDecodeException}.
 */
final class CorruptPageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CorruptPageException(String message) {
    super(message);
  }
}
