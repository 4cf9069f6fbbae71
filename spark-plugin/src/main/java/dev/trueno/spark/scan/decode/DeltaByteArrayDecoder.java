package dev.trueno.spark.scan.decode;

/**
 * DELTA_BYTE_ARRAY (incremental encoding): prefix lengths (DELTA_BINARY_PACKED), then suffixes
 * (DELTA_LENGTH_BYTE_ARRAY); each value is the previous value's prefix plus its suffix. Values
 * depend on their predecessor, so the page is rebuilt once when the decoder is made and runs are
 * then copied out.
 */
final class DeltaByteArrayDecoder implements ValuesDecoder {
  private final BinaryValues page = new BinaryValues();
  private int next;

  DeltaByteArrayDecoder(PageInput in) {
    DeltaBinaryPackedDecoder prefixes = new DeltaBinaryPackedDecoder(in);
    DeltaLengthByteArrayDecoder suffixes = new DeltaLengthByteArrayDecoder(in);
    int n = prefixes.count();
    if (suffixes.count() != n) {
      throw new CorruptPageException(
          "delta byte array has " + n + " prefixes but " + suffixes.count() + " suffixes");
    }
    BinaryValues suffix = new BinaryValues();
    suffix.clear();
    suffixes.readBinaries(suffix, n);
    page.clear();
    page.ensureMoreValues(n);
    int prevStart = 0;
    int prevLen = 0;
    for (int i = 0; i < n; i++) {
      int prefix = prefixes.nextInt();
      if (prefix < 0 || prefix > prevLen) {
        throw new CorruptPageException(
            "prefix length " + prefix + " longer than the previous value (" + prevLen + ")");
      }
      int suffixLen = suffix.length(i);
      page.ensureMoreBytes((long) prefix + suffixLen);
      int start = page.offsets[page.count];
      System.arraycopy(page.data, prevStart, page.data, start, prefix);
      System.arraycopy(suffix.data, suffix.start(i), page.data, start + prefix, suffixLen);
      page.offsets[++page.count] = start + prefix + suffixLen;
      prevStart = start;
      prevLen = prefix + suffixLen;
    }
  }

  @Override
  public void readBinaries(BinaryValues dst, int n) {
    if (n > page.count - next) {
      throw new CorruptPageException(
          "delta byte array page has " + (page.count - next) + " values left, " + n + " wanted");
    }
    dst.addRange(page, next, n);
    next += n;
  }
}
