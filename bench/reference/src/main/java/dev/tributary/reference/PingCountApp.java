package dev.tributary.reference;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * `java -cp ... dev.tributary.reference.PingCountApp <bootstrap> <input> <output> <application.id> <state.dir>`:
 * counts pings per event-time minute, exactly-once (EOS v2), into the state store
 * `ping-counts-per-minute` and the output topic (key: the minute as decimal text, value: the count
 * as an 8-byte long).
 * Runs until SIGTERM. The idiomatic Streams shape: re-key by minute, groupByKey (a repartition
 * topic), count.
 */
public final class PingCountApp {
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 5) {
      System.err.println("usage: PingCountApp <bootstrap> <input> <output> <application.id> <state.dir>");
      System.exit(2);
    }
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args[1], Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .map((key, value) -> KeyValue.pair(Math.floorDiv(PingFrame.timestampMs(value), 60_000L), value))
        .groupByKey(Grouped.with("by-minute", Serdes.Long(), Serdes.ByteArray()))
        .count(Materialized.<Long, Long, KeyValueStore<Bytes, byte[]>>as("ping-counts-per-minute")
            .withKeySerde(Serdes.Long()).withValueSerde(Serdes.Long()))
        .toStream()
        // Key as decimal text, so any consumer (and the bench's adapter, which reads keys as UTF-8) can read it.
        .map((minute, count) -> KeyValue.pair(Long.toString(minute), count))
        .to(args[2], Produced.with(Serdes.String(), Serdes.Long()));

    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[4]);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    // One thread, like the one ping-counter process it is compared with.
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(10));
      stopped.countDown();
    }));
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_APPLICATION;
    });
    streams.setStateListener((now, before) -> {
      System.out.println("{\"streamsState\":\"" + now + "\",\"atMs\":" + System.currentTimeMillis() + "}");
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) stopped.countDown();
    });
    streams.start();
    stopped.await();
  }
}
