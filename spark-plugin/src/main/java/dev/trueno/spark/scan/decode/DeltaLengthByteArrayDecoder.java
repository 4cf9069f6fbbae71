package dev.trueno.spark.scan.decode;

/**
 * DELTA_LENGTH_BYTE_ARRAY: all lengths first (DELTA_BINARY_PACKED), then the values' bytes back to
 * back, so a run of values is one bulk copy plus offset arithmetic.
 */
final class DeltaLengthByteArrayDecoder implements ValuesDecoder {
  private final PageInput in;
  private final DeltaBinaryPackedDecoder lengths;

  DeltaLengthByteArrayDecoder(PageInput in) {
    this.lengths = new DeltaBinaryPackedDecoder(in);
    this.in = in;
  }

  int count() {
    return lengths.count();
  }

  @Override
  public void readBinaries(BinaryValues dst, int n) {
    dst.ensureMoreValues(n);
    int start = dst.offsets[dst.count];
    int end = start;
    for (int i = 0; i < n; i++) {
      int len = lengths.nextInt();
      if (len < 0) {
        throw new CorruptPageException("negative byte array length " + len);
      }
      end += len;
      if (end < 0) {
        throw new CorruptPageException("byte array lengths overflow");
      }
      dst.offsets[dst.count + i + 1] = end;
    }
    int bytes = end - start;
    in.require(bytes);
    dst.ensureMoreBytes(bytes);
    System.arraycopy(in.buf, in.pos, dst.data, start, bytes);
    in.pos += bytes;
    dst.count += n;
  }
}
