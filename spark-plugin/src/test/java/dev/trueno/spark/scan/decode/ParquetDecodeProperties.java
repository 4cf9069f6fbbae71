package dev.trueno.spark.scan.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.bytestreamsplit.ByteStreamSplitValuesWriter;
import org.apache.parquet.column.values.delta.DeltaBinaryPackingValuesWriterForInteger;
import org.apache.parquet.column.values.delta.DeltaBinaryPackingValuesWriterForLong;
import org.apache.parquet.column.values.deltalengthbytearray.DeltaLengthByteArrayValuesWriter;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;

/**
 * Random files (columns, values, nulls, writer version, codec, dictionary, page and row group
 * sizes, batch sizes) read equal to parquet-mr's record reader; and each encoding's decoder reads
 * back what parquet-mr's encoder wrote, whatever the run lengths it is asked for.
 */
class ParquetDecodeProperties {
  private static final List<CompressionCodecName> CODECS =
      List.of(
          CompressionCodecName.UNCOMPRESSED,
          CompressionCodecName.SNAPPY,
          CompressionCodecName.GZIP,
          CompressionCodecName.ZSTD,
          CompressionCodecName.LZ4_RAW);

  @Property(tries = 30)
  void randomFilesReadAsParquetMrReadsThem(
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 1500) int rows,
      @ForAll @DoubleRange(min = 0, max = 1) double nullRate,
      @ForAll boolean v2,
      @ForAll boolean dictionary,
      @ForAll boolean byteStreamSplit,
      @ForAll @IntRange(min = 0, max = 4) int codec,
      @ForAll @IntRange(min = 64, max = 8192) int pageSize,
      @ForAll @IntRange(min = 1, max = 2000) int rowGroupRows,
      @ForAll @IntRange(min = 256, max = 1 << 20) int batchBytes,
      @ForAll @IntRange(min = 1, max = 3000) int maxRows)
      throws Exception {
    Random r = new Random(seed);
    List<TestColumn> all = new ArrayList<>(TestColumn.all());
    java.util.Collections.shuffle(all, r);
    List<TestColumn> columns = all.subList(0, 1 + r.nextInt(6));
    Path dir = Files.createTempDirectory("trueno-decode");
    try (BufferAllocator allocator = new RootAllocator(1L << 30)) {
      Path file =
          TestFiles.write(
              dir.resolve("random.parquet"),
              columns,
              TestFiles.rows(columns, rows, nullRate, seed),
              TestFiles.Settings.defaults()
                  .with(v2 ? WriterVersion.PARQUET_2_0 : WriterVersion.PARQUET_1_0)
                  .with(CODECS.get(codec))
                  .dictionary(dictionary, Math.max(64, pageSize / 2))
                  .byteStreamSplit(byteStreamSplit)
                  .pages(pageSize, rowGroupRows));
      DecodeOptions options =
          new DecodeOptions(
              batchBytes, maxRows, ZoneId.of("UTC"), RebaseMode.CORRECTED, RebaseMode.CORRECTED);
      assertThat(TestFiles.readAll(file, TestFiles.names(columns), allocator, options))
          .containsExactlyElementsOf(TestFiles.oracle(file, columns));
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Property(tries = 100)
  void rleBitPackedHybridDecodesParquetMrsEncoding(
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 32) int bitWidth,
      @ForAll @IntRange(min = 0, max = 3000) int n)
      throws Exception {
    Random r = new Random(seed);
    int[] values = new int[n];
    long bound = 1L << bitWidth;
    for (int i = 0; i < n; i++) {
      // Runs of repeats (RLE) mixed with noise (bit-packed).
      values[i] = i > 0 && r.nextInt(3) > 0 ? values[i - 1] : (int) (r.nextLong() & (bound - 1));
    }
    try (RunLengthBitPackingHybridEncoder encoder =
        new RunLengthBitPackingHybridEncoder(
            bitWidth, 64, 1 << 16, new HeapByteBufferAllocator())) {
      for (int v : values) {
        encoder.writeInt(v);
      }
      byte[] bytes = encoder.toBytes().toByteArray();
      RleBitPackedDecoder decoder =
          new RleBitPackedDecoder(new PageInput(bytes, 0, bytes.length), bitWidth);
      assertThat(readInChunks(r, n, (dst, off, k) -> decoder.readInts(dst, off, k)))
          .containsExactly(values);
    }
  }

  @Property(tries = 100)
  void deltaBinaryPackedDecodesParquetMrsEncoding(
      @ForAll long seed, @ForAll @IntRange(min = 0, max = 3000) int n, @ForAll boolean wide) {
    Random r = new Random(seed);
    if (wide) {
      long[] values = new long[n];
      for (int i = 0; i < n; i++) {
        values[i] =
            r.nextInt(4) == 0 ? r.nextLong() : (i == 0 ? 0 : values[i - 1]) + r.nextInt(100);
      }
      ValuesWriter w =
          new DeltaBinaryPackingValuesWriterForLong(
              128, 4, 64, 1 << 16, new HeapByteBufferAllocator());
      for (long v : values) {
        w.writeLong(v);
      }
      DeltaBinaryPackedDecoder d = new DeltaBinaryPackedDecoder(input(w));
      long[] out = new long[n];
      int done = 0;
      while (done < n) {
        int k = Math.min(n - done, 1 + r.nextInt(300));
        d.readLongs(out, done, k);
        done += k;
      }
      assertThat(out).containsExactly(values);
    } else {
      int[] values = new int[n];
      for (int i = 0; i < n; i++) {
        values[i] = r.nextInt(4) == 0 ? r.nextInt() : (i == 0 ? 0 : values[i - 1]) - r.nextInt(50);
      }
      ValuesWriter w =
          new DeltaBinaryPackingValuesWriterForInteger(
              128, 4, 64, 1 << 16, new HeapByteBufferAllocator());
      for (int v : values) {
        w.writeInteger(v);
      }
      DeltaBinaryPackedDecoder d = new DeltaBinaryPackedDecoder(input(w));
      assertThat(readInChunks(r, n, d::readInts)).containsExactly(values);
    }
  }

  @Property(tries = 100)
  void deltaLengthByteArrayDecodesParquetMrsEncoding(
      @ForAll long seed, @ForAll @IntRange(min = 0, max = 2000) int n) {
    Random r = new Random(seed);
    List<Binary> values = new ArrayList<>();
    ValuesWriter w =
        new DeltaLengthByteArrayValuesWriter(64, 1 << 16, new HeapByteBufferAllocator());
    for (int i = 0; i < n; i++) {
      Binary b = TestColumn.bytes(r, r.nextInt(10) == 0 ? 500 : 20);
      values.add(b);
      w.writeBytes(b);
    }
    DeltaLengthByteArrayDecoder d = new DeltaLengthByteArrayDecoder(input(w));
    BinaryValues out = new BinaryValues();
    out.clear();
    int done = 0;
    while (done < n) {
      int k = Math.min(n - done, 1 + r.nextInt(300));
      d.readBinaries(out, k);
      done += k;
    }
    assertThat(out.count).isEqualTo(n);
    for (int i = 0; i < n; i++) {
      byte[] got =
          java.util.Arrays.copyOfRange(out.data, out.start(i), out.start(i) + out.length(i));
      assertThat(got).as("value %s", i).containsExactly(values.get(i).getBytes());
    }
  }

  @Property(tries = 50)
  void byteStreamSplitDecodesParquetMrsEncoding(
      @ForAll long seed, @ForAll @IntRange(min = 0, max = 2000) int n) {
    Random r = new Random(seed);
    double[] values = new double[n];
    ValuesWriter w =
        new ByteStreamSplitValuesWriter.DoubleByteStreamSplitValuesWriter(
            64, 1 << 16, new HeapByteBufferAllocator());
    for (int i = 0; i < n; i++) {
      values[i] = TestColumn.edgeDouble(r);
      w.writeDouble(values[i]);
    }
    ByteStreamSplitDecoder d = new ByteStreamSplitDecoder(input(w), 8);
    double[] out = new double[n];
    int done = 0;
    while (done < n) {
      int k = Math.min(n - done, 1 + r.nextInt(300));
      d.readDoubles(out, done, k);
      done += k;
    }
    assertThat(out).containsExactly(values);
  }

  private interface IntReads {
    void read(int[] dst, int off, int n);
  }

  private static int[] readInChunks(Random r, int n, IntReads reads) {
    int[] out = new int[n];
    int done = 0;
    while (done < n) {
      int k = Math.min(n - done, 1 + r.nextInt(r.nextBoolean() ? 9 : 500));
      reads.read(out, done, k);
      done += k;
    }
    return out;
  }

  private static PageInput input(ValuesWriter w) {
    try {
      byte[] bytes = w.getBytes().toByteArray();
      return new PageInput(bytes, 0, bytes.length);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
