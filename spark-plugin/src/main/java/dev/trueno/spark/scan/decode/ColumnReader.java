package dev.trueno.spark.scan.decode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.spark.unsafe.Platform;

/**
 * Reads one flat column, row group after row group, into Arrow vectors. Per page it decodes the
 * definition levels of a run of rows, then the run's non-null values densely into a primitive
 * staging array, converts them there (rebase, unit scaling) and writes the run into the vector in
 * bulk; nulls are placed by spreading the dense values backwards in place.
 */
final class ColumnReader {
  private static final int UNKNOWN_VALUE_BYTES = 16;

  final String name;
  final ColumnDescriptor descriptor;
  final ColumnKind kind;
  private final PrimitiveTypeName physical;
  private final int typeLength;
  private final int maxDef;
  private final int levelBits;
  private final String file;

  private final RebaseMode rebaseMode;
  private final DateTimeRebase.Rebaser rebaser;
  private final String rebaseConf;

  private PageReader pages;
  private Dictionary dictionary;
  private int pageLeft;
  private RleBitPackedDecoder defLevels;
  private ValuesDecoder values;

  private int[] levels = new int[0];
  private int[] ints = new int[0];
  private long[] longs = new long[0];
  private float[] floats = new float[0];
  private double[] doubles = new double[0];
  private byte[] bools = new byte[0];
  private final BinaryValues binaries = new BinaryValues();

  private long varBytes;
  private long varValues;

  ColumnReader(
      String file,
      ColumnDescriptor descriptor,
      ColumnKind kind,
      DateTimeRebase.Spec datetime,
      DateTimeRebase.Spec int96) {
    this.file = file;
    this.name = String.join(".", descriptor.getPath());
    this.descriptor = descriptor;
    this.kind = kind;
    this.physical = descriptor.getPrimitiveType().getPrimitiveTypeName();
    this.typeLength = descriptor.getPrimitiveType().getTypeLength();
    this.maxDef = descriptor.getMaxDefinitionLevel();
    this.levelBits = 32 - Integer.numberOfLeadingZeros(maxDef);
    DateTimeRebase.Spec spec =
        switch (kind) {
          case DATE, TIMESTAMP_MICROS, TIMESTAMP_MILLIS -> datetime;
          case INT96_TIMESTAMP -> int96;
          default -> null;
        };
    this.rebaseMode = spec == null ? RebaseMode.CORRECTED : spec.mode();
    this.rebaser = rebaseMode == RebaseMode.LEGACY ? new DateTimeRebase.Rebaser(spec.zone()) : null;
    this.rebaseConf =
        kind == ColumnKind.INT96_TIMESTAMP
            ? DateTimeRebase.INT96_CONF
            : DateTimeRebase.DATETIME_CONF;
  }

  /** Arrow bytes a value is expected to take, for sizing batches (offsets included). */
  double estimatedValueBytes() {
    if (kind == ColumnKind.BOOLEAN) {
      return 0.125 + 0.125;
    }
    if (kind.variableWidth()) {
      double avg = varValues == 0 ? UNKNOWN_VALUE_BYTES : (double) varBytes / varValues;
      return avg + 4 + 0.125;
    }
    return kind.fixedWidth() + 0.125;
  }

  /** Average bytes of a string or binary value seen so far (a guess before the first). */
  double averageVariableBytes() {
    return varValues == 0 ? UNKNOWN_VALUE_BYTES : (double) varBytes / varValues;
  }

  /** Switches to the pages of a new row group; reads its dictionary, if any. */
  void startRowGroup(PageReader pageReader) throws IOException {
    this.pages = pageReader;
    this.pageLeft = 0;
    this.dictionary = null;
    DictionaryPage dict = pageReader.readDictionaryPage();
    if (dict != null) {
      PageInput in = input(dict.getBytes());
      byte[] bytes = in.buf;
      if (in.pos != 0 || in.end != bytes.length) {
        bytes = java.util.Arrays.copyOfRange(in.buf, in.pos, in.end);
      }
      dictionary = Dictionary.decode(dict, bytes, physical, typeLength);
    }
  }

  /** Appends rows {@code [base, base + n)} of the vector from the current row group. */
  void read(FieldVector vector, int base, int n) throws IOException {
    while (n > 0) {
      if (pageLeft == 0) {
        nextPage();
        continue;
      }
      int k = Math.min(n, pageLeft);
      readRun(vector, base, k);
      base += k;
      n -= k;
      pageLeft -= k;
    }
  }

  private void nextPage() throws IOException {
    DataPage page = pages.readPage();
    if (page == null) {
      throw new CorruptPageException("the column chunk ends before all rows of the row group");
    }
    if (page.getValueCount() < 0) {
      throw new CorruptPageException("page with " + page.getValueCount() + " values");
    }
    if (page instanceof DataPageV1 v1) {
      PageInput in = input(v1.getBytes());
      if (maxDef > 0) {
        if (v1.getDlEncoding() != Encoding.RLE) {
          throw new CorruptPageException(
              "definition levels encoded " + v1.getDlEncoding() + " are not supported");
        }
        int length = in.readIntLittleEndian();
        in.require(length);
        defLevels =
            new RleBitPackedDecoder(new PageInput(in.buf, in.pos, in.pos + length), levelBits);
        in.pos += length;
      } else {
        defLevels = null;
      }
      values = decoder(v1.getValueEncoding(), in);
    } else if (page instanceof DataPageV2 v2) {
      defLevels =
          maxDef > 0 ? new RleBitPackedDecoder(input(v2.getDefinitionLevels()), levelBits) : null;
      values = decoder(v2.getDataEncoding(), input(v2.getData()));
    } else {
      throw new CorruptPageException("unknown page type " + page.getClass().getSimpleName());
    }
    pageLeft = page.getValueCount();
  }

  // toByteBuffer() hands out the page's own heap array without a copy; its replacement needs a
  // releaser whose lifetime would have to follow the page, for no gain with heap buffers.
  @SuppressWarnings("deprecation")
  private static PageInput input(BytesInput bytes) throws IOException {
    ByteBuffer buffer = bytes.toByteBuffer();
    if (buffer.hasArray()) {
      int start = buffer.arrayOffset() + buffer.position();
      return new PageInput(buffer.array(), start, start + buffer.remaining());
    }
    byte[] copy = new byte[buffer.remaining()];
    buffer.duplicate().get(copy);
    return new PageInput(copy, 0, copy.length);
  }

  private ValuesDecoder decoder(Encoding encoding, PageInput in) {
    switch (encoding) {
      case PLAIN:
        return new PlainDecoder(
            in,
            switch (physical) {
              case FIXED_LEN_BYTE_ARRAY -> typeLength;
              case INT96 -> 12;
              default -> -1;
            });
      case PLAIN_DICTIONARY:
      case RLE_DICTIONARY:
        if (dictionary == null) {
          throw new CorruptPageException("dictionary-encoded page without a dictionary page");
        }
        return new DictionaryDecoder(in, dictionary);
      case RLE:
        if (physical == PrimitiveTypeName.BOOLEAN) {
          return new RleBooleanDecoder(in);
        }
        break;
      case DELTA_BINARY_PACKED:
        if (physical == PrimitiveTypeName.INT32 || physical == PrimitiveTypeName.INT64) {
          return new DeltaBinaryPackedDecoder(in);
        }
        break;
      case DELTA_LENGTH_BYTE_ARRAY:
        if (physical == PrimitiveTypeName.BINARY) {
          return new DeltaLengthByteArrayDecoder(in);
        }
        break;
      case DELTA_BYTE_ARRAY:
        if (physical == PrimitiveTypeName.BINARY
            || physical == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
          return new DeltaByteArrayDecoder(in);
        }
        break;
      case BYTE_STREAM_SPLIT:
        switch (physical) {
          case FLOAT, INT32:
            return new ByteStreamSplitDecoder(in, 4);
          case DOUBLE, INT64:
            return new ByteStreamSplitDecoder(in, 8);
          case FIXED_LEN_BYTE_ARRAY:
            return new ByteStreamSplitDecoder(in, typeLength);
          default:
            break;
        }
        break;
      default:
        break;
    }
    throw new CorruptPageException(
        "encoding " + encoding + " is not supported for " + physical + " values");
  }

  private void readRun(FieldVector vector, int base, int k) {
    int[] lv = null;
    int m = k;
    if (defLevels != null) {
      if (levels.length < k) {
        levels = new int[grow(levels.length, k)];
      }
      m = defLevels.readLevels(levels, k, maxDef);
      if (m < k) {
        lv = levels;
      }
    }
    setValidity(vector.getValidityBuffer(), base, k, lv);
    ArrowBuf data = kind.variableWidth() ? null : vector.getDataBuffer();
    if (values instanceof DictionaryDecoder dict && gather(dict, vector, data, base, k, m, lv)) {
      return;
    }
    switch (kind) {
      case BOOLEAN -> {
        if (bools.length < k) {
          bools = new byte[grow(bools.length, k)];
        }
        values.readBooleans(bools, 0, m);
        if (lv != null) {
          spread(bools, k, m, lv);
        }
        for (int i = 0; i < k; i++) {
          BitVectorHelper.setValidityBit(data, base + i, bools[i]);
        }
      }
      case INT8, INT16, INT32, UINT32, DATE, DECIMAL_INT32 -> {
        readInts(k, m, lv);
        writeInts(data, base, k);
      }
      case INT64,
          UINT64,
          TIMESTAMP_MICROS,
          TIMESTAMP_MILLIS,
          TIMESTAMP_NTZ_MICROS,
          TIMESTAMP_NTZ_MILLIS,
          DECIMAL_INT64 -> {
        readLongs(k, m, lv);
        writeLongs(data, base, k);
      }
      case INT96_TIMESTAMP -> {
        ensureLongs(k);
        binaries.clear();
        values.readBinaries(binaries, m);
        int96ToMicros(m);
        rebaseMicros(m);
        if (lv != null) {
          spread(longs, k, m, lv);
        }
        copyInto(data, base, k, longs);
      }
      case FLOAT -> {
        if (floats.length < k) {
          floats = new float[grow(floats.length, k)];
        }
        values.readFloats(floats, 0, m);
        if (lv != null) {
          spread(floats, k, m, lv);
        }
        copyInto(data, base, k, floats);
      }
      case DOUBLE -> {
        if (doubles.length < k) {
          doubles = new double[grow(doubles.length, k)];
        }
        values.readDoubles(doubles, 0, m);
        if (lv != null) {
          spread(doubles, k, m, lv);
        }
        copyInto(data, base, k, doubles);
      }
      case DECIMAL_BYTES -> {
        binaries.clear();
        values.readBinaries(binaries, m);
        writeDecimalBytes(data, base, k, lv);
      }
      case STRING, BINARY -> {
        binaries.clear();
        values.readBinaries(binaries, m);
        writeVariableWidth((BaseVariableWidthVector) vector, base, k, lv);
      }
    }
  }

  /**
   * Gathers a dictionary-encoded run straight into the vector's buffers where no conversion or null
   * spreading stands between the dictionary and Arrow: strings and binaries always (offsets written
   * in the same loop), fixed-width values when the run has no nulls. Returns false for the other
   * runs, which go through the staging arrays.
   */
  private boolean gather(
      DictionaryDecoder dict, FieldVector vector, ArrowBuf data, int base, int k, int m, int[] lv) {
    switch (kind) {
      case STRING, BINARY -> {
        varBytes +=
            dict.gatherVariableWidth((BaseVariableWidthVector) vector, base, k, m, lv, maxDef);
        varValues += m;
        return true;
      }
      default -> {}
    }
    if (lv != null || !MemoryUtil.LITTLE_ENDIAN) {
      return false;
    }
    switch (kind) {
      case INT32 -> dict.gatherInts(checkedAddress(data, 4L * base, 4L * k), k);
      case DATE -> {
        if (rebaseMode != RebaseMode.CORRECTED) {
          return false;
        }
        dict.gatherInts(checkedAddress(data, 4L * base, 4L * k), k);
      }
      case INT64, TIMESTAMP_NTZ_MICROS ->
          dict.gatherLongs(checkedAddress(data, 8L * base, 8L * k), k);
      case TIMESTAMP_MICROS -> {
        if (rebaseMode != RebaseMode.CORRECTED) {
          return false;
        }
        dict.gatherLongs(checkedAddress(data, 8L * base, 8L * k), k);
      }
      case FLOAT -> dict.gatherFloats(checkedAddress(data, 4L * base, 4L * k), k);
      case DOUBLE -> dict.gatherDoubles(checkedAddress(data, 8L * base, 8L * k), k);
      case DECIMAL_INT32, DECIMAL_INT64 ->
          dict.gatherDecimals(checkedAddress(data, 16L * base, 16L * k), k);
      default -> {
        return false;
      }
    }
    return true;
  }

  private void readInts(int k, int m, int[] lv) {
    if (ints.length < k) {
      ints = new int[grow(ints.length, k)];
    }
    values.readInts(ints, 0, m);
    if (kind == ColumnKind.DATE && rebaseMode != RebaseMode.CORRECTED) {
      for (int i = 0; i < m; i++) {
        if (ints[i] < DateTimeRebase.LAST_SWITCH_JULIAN_DAY) {
          if (rebaseMode == RebaseMode.EXCEPTION) {
            throw new AncientDateTimeException(file, name, rebaseConf, "Parquet");
          }
          ints[i] = rebaser.julianToGregorianDays(ints[i]);
        }
      }
    }
    if (lv != null) {
      spread(ints, k, m, lv);
    }
  }

  private void ensureLongs(int k) {
    if (longs.length < k) {
      longs = new long[grow(longs.length, k)];
    }
  }

  private void readLongs(int k, int m, int[] lv) {
    ensureLongs(k);
    values.readLongs(longs, 0, m);
    if (kind == ColumnKind.TIMESTAMP_MILLIS || kind == ColumnKind.TIMESTAMP_NTZ_MILLIS) {
      for (int i = 0; i < m; i++) {
        longs[i] = Math.multiplyExact(longs[i], 1000L);
      }
    }
    if (kind == ColumnKind.TIMESTAMP_MICROS || kind == ColumnKind.TIMESTAMP_MILLIS) {
      rebaseMicros(m);
    }
    if (lv != null) {
      spread(longs, k, m, lv);
    }
  }

  private void rebaseMicros(int m) {
    if (rebaseMode == RebaseMode.CORRECTED) {
      return;
    }
    for (int i = 0; i < m; i++) {
      if (longs[i] < DateTimeRebase.LAST_SWITCH_JULIAN_MICROS) {
        if (rebaseMode == RebaseMode.EXCEPTION) {
          throw new AncientDateTimeException(
              file,
              name,
              rebaseConf,
              kind == ColumnKind.INT96_TIMESTAMP ? "Parquet INT96" : "Parquet");
        }
        longs[i] = rebaser.julianToGregorianMicros(longs[i]);
      }
    }
  }

  /** INT96: 8 bytes of nanos of the day, then 4 bytes of julian day, little-endian. */
  private void int96ToMicros(int m) {
    ByteBuffer b = ByteBuffer.wrap(binaries.data).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < m; i++) {
      if (binaries.length(i) != 12) {
        throw new CorruptPageException(
            "INT96 value of " + binaries.length(i) + " bytes, expected 12");
      }
      int at = binaries.start(i);
      long nanos = b.getLong(at);
      int julianDay = b.getInt(at + 8);
      longs[i] = (julianDay - 2_440_588L) * 86_400_000_000L + nanos / 1000L;
    }
  }

  private void writeInts(ArrowBuf data, int base, int k) {
    switch (kind) {
      case INT8 -> {
        for (int i = 0; i < k; i++) {
          data.setByte(base + i, ints[i]);
        }
      }
      case INT16 -> {
        for (int i = 0; i < k; i++) {
          data.setShort(2L * (base + i), (short) ints[i]);
        }
      }
      case UINT32 -> {
        for (int i = 0; i < k; i++) {
          data.setLong(8L * (base + i), Integer.toUnsignedLong(ints[i]));
        }
      }
      case DECIMAL_INT32 -> {
        long address = checkedAddress(data, 16L * base, 16L * k);
        for (int i = 0; i < k; i++) {
          putDecimal(address + 16L * i, ints[i]);
        }
      }
      default -> copyInto(data, base, k, ints);
    }
  }

  private void writeLongs(ArrowBuf data, int base, int k) {
    switch (kind) {
      case UINT64 -> {
        for (int i = 0; i < k; i++) {
          long at = 16L * (base + i);
          data.setLong(at, longs[i]);
          data.setLong(at + 8, 0L);
        }
      }
      case DECIMAL_INT64 -> {
        long address = checkedAddress(data, 16L * base, 16L * k);
        for (int i = 0; i < k; i++) {
          putDecimal(address + 16L * i, longs[i]);
        }
      }
      default -> copyInto(data, base, k, longs);
    }
  }

  /** Big-endian two's complement bytes to Arrow's little-endian 128-bit decimal. */
  private void writeDecimalBytes(ArrowBuf data, int base, int k, int[] lv) {
    byte[] bytes = binaries.data;
    int j = 0;
    for (int i = 0; i < k; i++) {
      long at = 16L * (base + i);
      if (lv != null && lv[i] != maxDef) {
        data.setLong(at, 0L);
        data.setLong(at + 8, 0L);
        continue;
      }
      int start = binaries.start(j);
      int len = binaries.length(j);
      j++;
      if (len > 16) {
        // Longer values can only be sign extension for precisions up to 38.
        start += len - 16;
        len = 16;
      }
      long lo = 0;
      long hi = 0;
      for (int b = 0; b < len; b++) {
        hi = (hi << 8) | (lo >>> 56);
        lo = (lo << 8) | (bytes[start + b] & 0xff);
      }
      int bits = len * 8;
      if (bits == 0) {
        lo = 0;
        hi = 0;
      } else if (bits < 64) {
        lo = (lo << (64 - bits)) >> (64 - bits);
        hi = lo >> 63;
      } else if (bits == 64) {
        hi = lo >> 63;
      } else if (bits < 128) {
        hi = (hi << (128 - bits)) >> (128 - bits);
      }
      data.setLong(at, lo);
      data.setLong(at + 8, hi);
    }
  }

  private void writeVariableWidth(BaseVariableWidthVector vector, int base, int k, int[] lv) {
    ArrowBuf offsets = vector.getOffsetBuffer();
    int end = offsets.getInt(4L * base);
    int bytes = binaries.totalBytes();
    long needed = (long) end + bytes;
    if (needed > Integer.MAX_VALUE) {
      throw new CorruptPageException("more than 2 GiB of values in one Arrow vector");
    }
    if (vector.getDataBuffer().capacity() < needed) {
      vector.reallocDataBuffer(needed);
    }
    ArrowBuf data = vector.getDataBuffer();
    data.setBytes(end, binaries.data, 0, bytes);
    int[] starts = binaries.offsets;
    if (lv == null) {
      for (int i = 0; i < k; i++) {
        offsets.setInt(4L * (base + i + 1), end + starts[i + 1]);
      }
    } else {
      int j = 0;
      for (int i = 0; i < k; i++) {
        if (lv[i] == maxDef) {
          j++;
        }
        offsets.setInt(4L * (base + i + 1), end + starts[j]);
      }
    }
    varBytes += bytes;
    varValues += binaries.count;
  }

  private void setValidity(ArrowBuf validity, int base, int k, int[] lv) {
    if (lv == null) {
      int i = base;
      int end = base + k;
      while (i < end && (i & 7) != 0) {
        BitVectorHelper.setBit(validity, i++);
      }
      while (i + 8 <= end) {
        validity.setByte(i >>> 3, 0xff);
        i += 8;
      }
      while (i < end) {
        BitVectorHelper.setBit(validity, i++);
      }
      return;
    }
    for (int i = 0; i < k; i++) {
      BitVectorHelper.setValidityBit(validity, base + i, lv[i] == maxDef ? 1 : 0);
    }
  }

  // Copies k staged values into the vector from row base on with one memory copy. The former
  // ByteBuffer view of the Arrow buffer per run (ArrowBuf.nioBuffer builds a DirectByteBuffer
  // through reflection) took about a tenth of the scan's CPU time on TPC-H lineitem.
  private static void copyInto(ArrowBuf data, int base, int k, long[] src) {
    if (!MemoryUtil.LITTLE_ENDIAN) {
      bulk(data, base, 8, k).asLongBuffer().put(src, 0, k);
      return;
    }
    copy(data, 8L * base, src, Platform.LONG_ARRAY_OFFSET, 8L * k);
  }

  private static void copyInto(ArrowBuf data, int base, int k, int[] src) {
    if (!MemoryUtil.LITTLE_ENDIAN) {
      bulk(data, base, 4, k).asIntBuffer().put(src, 0, k);
      return;
    }
    copy(data, 4L * base, src, Platform.INT_ARRAY_OFFSET, 4L * k);
  }

  private static void copyInto(ArrowBuf data, int base, int k, float[] src) {
    if (!MemoryUtil.LITTLE_ENDIAN) {
      bulk(data, base, 4, k).asFloatBuffer().put(src, 0, k);
      return;
    }
    copy(data, 4L * base, src, Platform.FLOAT_ARRAY_OFFSET, 4L * k);
  }

  private static void copyInto(ArrowBuf data, int base, int k, double[] src) {
    if (!MemoryUtil.LITTLE_ENDIAN) {
      bulk(data, base, 8, k).asDoubleBuffer().put(src, 0, k);
      return;
    }
    copy(data, 8L * base, src, Platform.DOUBLE_ARRAY_OFFSET, 8L * k);
  }

  private static void copy(ArrowBuf data, long at, Object src, long srcOffset, long bytes) {
    Platform.copyMemory(src, srcOffset, null, checkedAddress(data, at, bytes), bytes);
  }

  /** The address of bytes {@code [at, at + bytes)} of {@code data}, checked once per run. */
  private static long checkedAddress(ArrowBuf data, long at, long bytes) {
    if (at < 0 || at + bytes > data.capacity()) {
      throw new IndexOutOfBoundsException(
          "writing bytes [" + at + ", " + (at + bytes) + ") of a buffer of " + data.capacity());
    }
    return data.memoryAddress() + at;
  }

  // An unscaled value as Arrow's 128-bit decimal: the value, then its sign extension. Plain stores
  // (in native order, as ArrowBuf.setLong writes) after one bounds check per run; ArrowBuf.setLong
  // checks the index and the reference count on every call.
  private static void putDecimal(long address, long unscaled) {
    Platform.putLong(null, address, unscaled);
    Platform.putLong(null, address + 8, unscaled >> 63);
  }

  private static ByteBuffer bulk(ArrowBuf data, int base, int width, int k) {
    return data.nioBuffer((long) width * base, width * k).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static int grow(int current, int needed) {
    return (int) Math.min(Integer.MAX_VALUE - 16, Math.max(needed, 2L * current));
  }

  // Spreads m dense values over k rows (nulls get 0), backwards so it can work in place.
  private void spread(int[] a, int k, int m, int[] lv) {
    for (int i = k - 1, j = m - 1; i >= 0; i--) {
      a[i] = lv[i] == maxDef ? a[j--] : 0;
    }
  }

  private void spread(long[] a, int k, int m, int[] lv) {
    for (int i = k - 1, j = m - 1; i >= 0; i--) {
      a[i] = lv[i] == maxDef ? a[j--] : 0L;
    }
  }

  private void spread(float[] a, int k, int m, int[] lv) {
    for (int i = k - 1, j = m - 1; i >= 0; i--) {
      a[i] = lv[i] == maxDef ? a[j--] : 0f;
    }
  }

  private void spread(double[] a, int k, int m, int[] lv) {
    for (int i = k - 1, j = m - 1; i >= 0; i--) {
      a[i] = lv[i] == maxDef ? a[j--] : 0d;
    }
  }

  private void spread(byte[] a, int k, int m, int[] lv) {
    for (int i = k - 1, j = m - 1; i >= 0; i--) {
      a[i] = lv[i] == maxDef ? a[j--] : 0;
    }
  }
}
