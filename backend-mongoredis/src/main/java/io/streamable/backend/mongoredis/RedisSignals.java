package io.streamable.backend.mongoredis;

import io.streamable.TopicName;
import io.streamable.backend.BackendUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.util.JedisURIHelper;

import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * The Redis side: publishes "topic changed" signals after durable appends and keeps one pattern
 * subscription that hands received signals to the backend. Signals are hints only; MongoDB is the
 * truth, so every Redis failure is absorbed here and never reaches an append.
 *
 * <p>A Jedis subscription does not reconnect by itself: {@code psubscribe} blocks its thread and
 * throws when the connection drops. The subscriber thread therefore loops, reconnecting with
 * backoff, and reports each (re)subscription so readers fetch once: signals sent during the gap
 * are lost.
 */
final class RedisSignals implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSignals.class);
    private static final int DEFAULT_PORT = 6379;
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    private static final int COMMAND_TIMEOUT_MILLIS = 2_000;
    /** Pings keep an idle subscription's socket reading, so a dead connection times out instead of hanging. */
    static final long PING_INTERVAL_MILLIS = 5_000;
    private static final int SUBSCRIBER_READ_TIMEOUT_MILLIS = (int) (3 * PING_INTERVAL_MILLIS);
    private static final long MAX_BACKOFF_MILLIS = 2_000;
    /** After a failed publish, skip publishing this long, so producers do not pay a timeout per append. */
    private static final long PUBLISH_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** The TypeScript prototype's channel for a collection: {@code TOPIC-<collection>}, no database in it. */
    static final String PROTOTYPE_PREFIX = "TOPIC-";
    /** What the prototype's producer publishes and its consumers wait for. */
    static final String PROTOTYPE_MESSAGE = "{\"newMessage\":true}";

    private final String channelPrefix;
    /** Whether to speak the prototype's signals too ({@code prototypeSignals=true}). */
    private final boolean prototype;
    private final String maskedUri;
    private final HostAndPort address;
    private final JedisClientConfig subscriberConfig;
    private final RedisClient publisher;
    /** Called with the topic and the head its signal names ({@code -1}: not named). */
    private final BiConsumer<String, Long> onSignal;
    private final Runnable onSubscribed;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private final Thread subscriber;

    private volatile JedisPubSub subscription;
    private volatile Jedis subscriberConnection;
    private volatile long publishPausedUntil = System.nanoTime();
    private final AtomicBoolean publishFailing = new AtomicBoolean();
    private final Set<String> unsent = ConcurrentHashMap.newKeySet();

    RedisSignals(URI uri, boolean tls, String channelPrefix, String threadName, BiConsumer<String, Long> onSignal,
                 Runnable onSubscribed) {
        this(uri, tls, channelPrefix, false, threadName, onSignal, onSubscribed);
    }

    RedisSignals(URI uri, boolean tls, String channelPrefix, boolean prototype, String threadName,
                 BiConsumer<String, Long> onSignal, Runnable onSubscribed) {
        this.channelPrefix = channelPrefix;
        this.prototype = prototype;
        this.maskedUri = BackendUrl.mask(uri.toString());
        this.address = new HostAndPort(uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort());
        this.onSignal = onSignal;
        this.onSubscribed = onSubscribed;
        DefaultJedisClientConfig.Builder base = DefaultJedisClientConfig.builder()
                .user(JedisURIHelper.getUser(uri))
                .password(JedisURIHelper.getPassword(uri))
                .database(JedisURIHelper.getDBIndex(uri))
                .ssl(tls)
                .connectionTimeoutMillis(CONNECT_TIMEOUT_MILLIS)
                .clientName("streamable")
                .serverDefaultProtocol(); // RESP2 for plain Jedis pub/sub, without its negotiation warning
        this.subscriberConfig = base.socketTimeoutMillis(SUBSCRIBER_READ_TIMEOUT_MILLIS).build();
        JedisClientConfig publisherConfig = DefaultJedisClientConfig.builder()
                .from(subscriberConfig).socketTimeoutMillis(COMMAND_TIMEOUT_MILLIS).build();
        this.publisher = RedisClient.builder().hostAndPort(address).clientConfig(publisherConfig).build();
        this.subscriber = new Thread(this::subscribeLoop, threadName);
        this.subscriber.setDaemon(true);
    }

    void start() {
        subscriber.start();
    }

    /** The channel that carries a topic's signals. */
    String channel(String topic) {
        return channelPrefix + topic;
    }

    /**
     * Tells every subscriber that the topic has new records up to {@code head}; never throws. A
     * signal that cannot be sent is remembered and sent once Redis answers again, so consumers in
     * other processes do not wait for their safety poll.
     */
    void publish(String topic, long head) {
        if (closed.get()) {
            return;
        }
        if (System.nanoTime() - publishPausedUntil < 0) {
            unsent.add(topic);
            return;
        }
        // one immediate retry: after a Redis restart the pool's first connection is a dead one
        if (!tryPublish(topic, head) && !tryPublish(topic, head)) {
            publishPausedUntil = System.nanoTime() + PUBLISH_PAUSE_NANOS;
            unsent.add(topic);
            return;
        }
        if (!unsent.isEmpty()) {
            resendUnsent();
        }
    }

    private boolean tryPublish(String topic, long head) {
        try {
            publisher.publish(channel(topic), Long.toString(head));
            if (prototype && !TopicName.isInternal(topic)) {
                // the prototype's consumers wake on their own channel only
                publisher.publish(PROTOTYPE_PREFIX + topic, PROTOTYPE_MESSAGE);
            }
            if (publishFailing.compareAndSet(true, false)) {
                LOG.info("Publishing wake-up signals to Redis at {} works again", maskedUri);
            }
            return true;
        } catch (RuntimeException e) {
            if (publishFailing.compareAndSet(false, true)) {
                LOG.warn("Cannot publish wake-up signals to Redis at {} ({}); appends still succeed and consumers"
                        + " fall back to their safety poll until Redis is back", maskedUri, e.toString());
            }
            return false;
        }
    }

    /** Sends the signals an outage swallowed; called when Redis answers again. */
    void resendUnsent() {
        for (String topic : List.copyOf(unsent)) {
            unsent.remove(topic);
            if (!tryPublish(topic, -1)) {
                unsent.add(topic);
                return;
            }
        }
    }

    /** Whether the subscription is currently established. */
    boolean subscribed() {
        JedisPubSub current = subscription;
        return current != null && current.isSubscribed();
    }

    /** Sends a ping on the subscription connection, so a silently dead connection is noticed. */
    void ping() {
        JedisPubSub current = subscription;
        if (current == null || !current.isSubscribed()) {
            return;
        }
        try {
            current.ping();
        } catch (RuntimeException e) {
            LOG.debug("Ping on the Redis subscription failed; the subscriber reconnects", e);
            disconnectQuietly();
        }
    }

    private void subscribeLoop() {
        int failures = 0;
        boolean reportedDown = false;
        while (!closed.get()) {
            try (Jedis jedis = new Jedis(address, subscriberConfig)) {
                subscriberConnection = jedis;
                JedisPubSub pubSub = new JedisPubSub() {
                    @Override
                    public void onPSubscribe(String pattern, int subscribedChannels) {
                        onSubscribed.run();
                        if (!unsent.isEmpty()) {
                            publishPausedUntil = System.nanoTime();
                            resendUnsent();
                        }
                    }

                    @Override
                    public void onPMessage(String pattern, String channel, String message) {
                        if (channel.startsWith(channelPrefix)) {
                            onSignal.accept(channel.substring(channelPrefix.length()), headOf(message));
                        } else if (prototype && channel.startsWith(PROTOTYPE_PREFIX)) {
                            // a prototype producer appended (or this backend did: one more fetch, harmless)
                            onSignal.accept(channel.substring(PROTOTYPE_PREFIX.length()), -1L);
                        }
                    }
                };
                subscription = pubSub;
                if (closed.get()) {
                    break;
                }
                jedis.connect();
                if (reportedDown) {
                    LOG.info("Reconnected to Redis at {}; resubscribing to wake-up signals", maskedUri);
                    reportedDown = false;
                }
                failures = 0;
                if (prototype) {
                    jedis.psubscribe(pubSub, channelPrefix + "*", PROTOTYPE_PREFIX + "*");
                } else {
                    jedis.psubscribe(pubSub, channelPrefix + "*");
                }
            } catch (RuntimeException e) {
                if (closed.get()) {
                    break;
                }
                failures++;
                if (!reportedDown) {
                    reportedDown = true;
                    LOG.warn("Lost the Redis subscription at {} ({}); consumers use their safety poll and the"
                            + " subscription is retried with backoff", maskedUri, e.toString());
                } else {
                    LOG.debug("Redis at {} still unreachable: {}", maskedUri, e.toString());
                }
            } finally {
                subscription = null;
                subscriberConnection = null;
            }
            if (closed.get()) {
                break;
            }
            long backoff = Math.min(MAX_BACKOFF_MILLIS, 50L << Math.min(Math.max(failures - 1, 0), 6));
            try {
                if (closeSignal.await(backoff, TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    /**
     * The head a signal's message names: {@link #publish} sends the newest id appended, or
     * {@code -1} for signals re-sent after an outage; anything else (another program's message) is
     * {@code -1}, "look without a bound".
     */
    static long headOf(String message) {
        try {
            return Math.max(-1L, Long.parseLong(message));
        } catch (NumberFormatException e) {
            return -1L;
        }
    }

    private void disconnectQuietly() {
        Jedis connection = subscriberConnection;
        if (connection != null) {
            try {
                connection.disconnect();
            } catch (RuntimeException ignored) {
                // the subscriber thread sees the broken connection and reconnects
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeSignal.countDown();
        JedisPubSub current = subscription;
        if (current != null && current.isSubscribed()) {
            try {
                current.punsubscribe();
            } catch (RuntimeException ignored) {
                // disconnecting below unblocks the subscriber anyway
            }
        }
        disconnectQuietly();
        try {
            subscriber.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            publisher.close();
        } catch (RuntimeException e) {
            LOG.debug("Closing the Redis publisher failed", e);
        }
    }

}
