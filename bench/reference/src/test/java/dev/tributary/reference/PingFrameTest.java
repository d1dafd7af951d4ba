package dev.tributary.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PingFrameTest {
  // 00 | 00 00 00 07 | 00 (indexes [0]) | 0a 01 61 (id "a") | 10 <varint 1728926331000> | 18 05
  private static byte[] frame(byte[] indexes) {
    byte[] header = {0, 0, 0, 0, 7};
    byte[] payload = {0x0a, 0x01, 0x61, 0x10, (byte) 0xf8, (byte) 0xe0, (byte) 0xa8, (byte) 0xe0, (byte) 0xa8, 0x32, 0x18, 0x05};
    byte[] out = new byte[header.length + indexes.length + payload.length];
    System.arraycopy(header, 0, out, 0, header.length);
    System.arraycopy(indexes, 0, out, header.length, indexes.length);
    System.arraycopy(payload, 0, out, header.length + indexes.length, payload.length);
    return out;
  }

  @Test
  void readsTimestampAfterShorthandIndex() {
    assertEquals(1_728_926_331_000L, PingFrame.timestampMs(frame(new byte[] {0})));
  }

  @Test
  void readsTimestampAfterExplicitIndexes() {
    // count 2 (zigzag 4), indexes 1 (2) and 0 (0)
    assertEquals(1_728_926_331_000L, PingFrame.timestampMs(frame(new byte[] {4, 2, 0})));
  }

  @Test
  void rejectsWrongMagicAndTruncation() {
    byte[] bad = frame(new byte[] {0});
    bad[0] = 1;
    assertThrows(IllegalArgumentException.class, () -> PingFrame.timestampMs(bad));
    byte[] good = frame(new byte[] {0});
    byte[] cut = java.util.Arrays.copyOf(good, good.length - 3);
    assertThrows(IllegalArgumentException.class, () -> PingFrame.timestampMs(cut));
  }
}
