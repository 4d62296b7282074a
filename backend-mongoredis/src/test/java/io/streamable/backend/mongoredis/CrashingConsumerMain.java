package io.streamable.backend.mongoredis;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import org.awaitility.Awaitility;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a child JVM by {@link FaultToleranceTest}: a named consumer that saves its position after
 * every message, then hangs on message {@code blockAt} until the test kills the process, so it
 * never closes cleanly. It says "blocked" only once the position before {@code blockAt} is saved:
 * the consumer engine saves from its read loop, shortly after the handler returns, and the test
 * kills the process as soon as it reads that line. Arguments: URL, topic, consumer name, blockAt.
 */
public final class CrashingConsumerMain {
    private CrashingConsumerMain() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        Topic<String> topic = Topic.of(args[1], String.class);
        String name = args[2];
        int blockAt = Integer.parseInt(args[3]);
        CountDownLatch never = new CountDownLatch(1);
        Streamable streamable = Streamable.open(url);
        streamable.consumer(topic).name(name).commitEvery(1, Duration.ZERO)
                .handler(message -> {
                    if (message.position().offset() == blockAt) {
                        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> streamable.backend()
                                .topic(topic.name()).savedPosition(name)
                                .filter(saved -> saved.offset() >= blockAt - 1).isPresent());
                        System.out.println("blocked " + message.position());
                        System.out.flush();
                        never.await();
                    }
                    System.out.println("handled " + message.position() + " " + message.payload());
                    System.out.flush();
                })
                .start();
        never.await();
    }
}
