package dev.trueno.spark.scan.decode;

/**
 * Decodes the non-null values of one data page, many at a time into primitive arrays (one call per
 * run of values, never one per value). Each encoding implements the reads that apply to the
 * physical types it can encode; the others mean the file pairs an encoding with a type it cannot
 * have.
 */
interface ValuesDecoder {
  default void readBooleans(byte[] dst, int off, int n) {
    throw wrongType("BOOLEAN");
  }

  default void readInts(int[] dst, int off, int n) {
    throw wrongType("INT32");
  }

  default void readLongs(long[] dst, int off, int n) {
    throw wrongType("INT64");
  }

  default void readFloats(float[] dst, int off, int n) {
    throw wrongType("FLOAT");
  }

  default void readDoubles(double[] dst, int off, int n) {
    throw wrongType("DOUBLE");
  }

  /** Appends {@code n} values: BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY or INT96 (12 bytes each). */
  default void readBinaries(BinaryValues dst, int n) {
    throw wrongType("byte array");
  }

  private CorruptPageException wrongType(String type) {
    return new CorruptPageException(
        getClass().getSimpleName() + " does not decode values of type " + type);
  }
}
