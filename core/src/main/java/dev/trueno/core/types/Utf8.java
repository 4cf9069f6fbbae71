package dev.trueno.core.types;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A UTF-8 string value compared by its bytes, as Spark compares strings under the default
 * (UTF8_BINARY) collation.
 */
public final class Utf8 implements Comparable<Utf8>, java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private final byte[] bytes;
  private int hash;

  private Utf8(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Wraps UTF-8 bytes; the array must not be changed afterwards. */
  public static Utf8 wrap(byte[] bytes) {
    return new Utf8(bytes);
  }

  /** Encodes a Java string. */
  public static Utf8 of(String value) {
    return new Utf8(value.getBytes(StandardCharsets.UTF_8));
  }

  /** The UTF-8 bytes; callers must not change them. */
  public byte[] bytes() {
    return bytes;
  }

  @Override
  public int compareTo(Utf8 other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Utf8 u && Arrays.equals(bytes, u.bytes);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(bytes);
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
