package dev.tributary.reference;

/**
 * Hand parser for a `pings` record value: the Confluent Protobuf wire format (magic 0, 4-byte
 * schema id, message-index varints) around a ping.v1.PingRecorded message, of which only
 * timestamp_ms (field 2, varint) is needed. Mirrors runtime/serde/wire-format.ts.
 */
public final class PingFrame {
  private PingFrame() {}

  /** Event time of the ping in milliseconds since the epoch. */
  public static long timestampMs(byte[] value) {
    if (value == null || value.length < 6) throw malformed("shorter than 6 bytes");
    if (value[0] != 0) throw malformed("unknown magic byte " + value[0]);
    int[] pos = {5};
    long count = zigzag(readVarint(value, pos));
    if (count < 0 || count > 64) throw malformed("message index count " + count);
    // count 0 is the shorthand for [0]; otherwise `count` indexes follow.
    for (long i = 0; i < count; i++) readVarint(value, pos);
    long timestampMs = 0;
    while (pos[0] < value.length) {
      long tag = readVarint(value, pos);
      int field = (int) (tag >>> 3);
      int wireType = (int) (tag & 7);
      switch (wireType) {
        case 0 -> {
          long v = readVarint(value, pos);
          if (field == 2) timestampMs = v;
        }
        case 1 -> pos[0] += 8;
        case 2 -> {
          long length = readVarint(value, pos);
          if (length < 0 || pos[0] + length > value.length) throw malformed("length beyond the value");
          pos[0] += (int) length;
        }
        case 5 -> pos[0] += 4;
        default -> throw malformed("wire type " + wireType);
      }
    }
    if (pos[0] > value.length) throw malformed("truncated field");
    return timestampMs;
  }

  static long readVarint(byte[] bytes, int[] pos) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= bytes.length) throw malformed("truncated varint");
      byte b = bytes[pos[0]++];
      result |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) return result;
    }
    throw malformed("varint longer than 10 bytes");
  }

  private static long zigzag(long n) {
    return (n >>> 1) ^ -(n & 1);
  }

  private static IllegalArgumentException malformed(String detail) {
    return new IllegalArgumentException("not a Confluent Protobuf ping: " + detail);
  }
}
