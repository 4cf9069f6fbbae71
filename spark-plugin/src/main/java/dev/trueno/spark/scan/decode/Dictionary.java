package dev.trueno.spark.scan.decode;

import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * A column chunk's dictionary, decoded once into a primitive array of its physical type so that
 * dictionary-encoded pages become gathers ({@code out[i] = values[ids[i]]}).
 */
final class Dictionary {
  /** Bytes past the end of the values that whole-word copies may read and write. */
  static final int SLACK = 32;

  final int size;
  int[] ints;
  long[] longs;
  float[] floats;
  double[] doubles;
  BinaryValues binaries;

  /**
   * The bytes of {@link #binaries} with at least {@link #SLACK} bytes after the last value, so that
   * short values can be gathered a word at a time (see {@link
   * DictionaryDecoder#gatherVariableWidth}).
   */
  byte[] paddedBytes;

  /**
   * Bytes each value is copied as, when every value fits in {@link #SLACK} bytes: the longest
   * value's length rounded up to whole 8-byte words; -1 for longer values.
   */
  int wordBytes;

  private Dictionary(int size) {
    this.size = size;
  }

  static Dictionary decode(
      DictionaryPage page, byte[] bytes, PrimitiveTypeName type, int typeLength) {
    String enc = page.getEncoding().name();
    if (!enc.equals("PLAIN") && !enc.equals("PLAIN_DICTIONARY")) {
      throw new CorruptPageException("dictionary page encoding " + enc + " is not supported");
    }
    int n = page.getDictionarySize();
    if (n < 0) {
      throw new CorruptPageException("negative dictionary size " + n);
    }
    Dictionary d = new Dictionary(n);
    PlainDecoder plain =
        new PlainDecoder(
            new PageInput(bytes, 0, bytes.length),
            switch (type) {
              case FIXED_LEN_BYTE_ARRAY -> typeLength;
              case INT96 -> 12;
              default -> -1;
            });
    switch (type) {
      case INT32 -> plain.readInts(d.ints = new int[n], 0, n);
      case INT64 -> plain.readLongs(d.longs = new long[n], 0, n);
      case FLOAT -> plain.readFloats(d.floats = new float[n], 0, n);
      case DOUBLE -> plain.readDoubles(d.doubles = new double[n], 0, n);
      case BINARY, FIXED_LEN_BYTE_ARRAY, INT96 -> {
        d.binaries = new BinaryValues();
        d.binaries.clear();
        plain.readBinaries(d.binaries, n);
        int total = d.binaries.totalBytes();
        d.paddedBytes =
            d.binaries.data.length >= total + SLACK
                ? d.binaries.data
                : java.util.Arrays.copyOf(d.binaries.data, total + SLACK);
        int longest = 0;
        for (int i = 0; i < n; i++) {
          longest = Math.max(longest, d.binaries.length(i));
        }
        d.wordBytes = longest <= SLACK ? (longest + 7) & ~7 : -1;
      }
      default -> throw new CorruptPageException("a " + type + " column cannot have a dictionary");
    }
    return d;
  }
}
