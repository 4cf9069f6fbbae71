package dev.trueno.spark.scan.decode;

/** RLE-encoded booleans (data pages v2): a 4-byte length, then the hybrid with bit width 1. */
final class RleBooleanDecoder implements ValuesDecoder {
  private final RleBitPackedDecoder bits;
  private int[] scratch = new int[1024];

  RleBooleanDecoder(PageInput in) {
    int length = in.readIntLittleEndian();
    in.require(length);
    this.bits = new RleBitPackedDecoder(new PageInput(in.buf, in.pos, in.pos + length), 1);
  }

  @Override
  public void readBooleans(byte[] dst, int off, int n) {
    if (scratch.length < n) {
      scratch = new int[Math.max(n, scratch.length * 2)];
    }
    bits.readInts(scratch, 0, n);
    for (int i = 0; i < n; i++) {
      dst[off + i] = (byte) scratch[i];
    }
  }
}
