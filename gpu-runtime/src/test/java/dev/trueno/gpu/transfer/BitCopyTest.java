package dev.trueno.gpu.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.arrow.memory.util.MemoryUtil;

/** The 64-bit bit copy against a bit-by-bit reference, at every pair of offsets and lengths. */
class BitCopyTest {
  @Property(tries = 2000)
  void copiesExactlyTheBitsAtAnyOffsets(
      @ForAll @IntRange(min = 0, max = 200) int srcBit,
      @ForAll @IntRange(min = 0, max = 200) int dstBit,
      @ForAll @IntRange(min = 0, max = 700) int n,
      @ForAll long seed) {
    Random random = new Random(seed);
    // The bytes that hold the copied bits, then one of set bits that must not leak in.
    int srcBytes = (srcBit + n + 7) / 8;
    byte[] srcBits = new byte[srcBytes];
    random.nextBytes(srcBits);
    ByteBuffer src = ByteBuffer.allocateDirect(srcBytes + 1);
    src.put(srcBits).put((byte) -1);
    int dstBytes = (dstBit + n + 7) / 8 + 2;
    ByteBuffer dst = ByteBuffer.allocateDirect(dstBytes);
    // Bits before dstBit belong to someone else (an earlier slice): they must survive.
    byte[] before = new byte[dstBytes];
    for (int b = 0; b < dstBit; b++) {
      if (random.nextBoolean()) {
        before[b >>> 3] |= (byte) (1 << (b & 7));
      }
    }
    dst.put(before);

    BitCopy.copy(
        MemoryUtil.getByteBufferAddress(src),
        srcBit,
        MemoryUtil.getByteBufferAddress(dst),
        dstBit,
        n);

    for (int b = 0; b < dstBytes * 8; b++) {
      boolean expected;
      if (b < dstBit) {
        expected = bit(before, b);
      } else if (b < dstBit + n) {
        expected = bit(srcBits, srcBit + b - dstBit);
      } else {
        expected = false;
      }
      assertThat((dst.get(b >>> 3) >>> (b & 7) & 1) == 1)
          .as("bit %d (srcBit %d, dstBit %d, n %d)", b, srcBit, dstBit, n)
          .isEqualTo(expected);
    }
  }

  private static boolean bit(byte[] bytes, int bit) {
    return (bytes[bit >>> 3] >>> (bit & 7) & 1) == 1;
  }
}
