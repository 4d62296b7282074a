package io.streamable.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamable.Topic;
import io.streamable.backend.AppendRecord;
import io.streamable.codec.PayloadCodec;
import io.streamable.codec.PayloadCodecException;
import io.streamable.produce.OutgoingMessage;
import io.streamable.schema.SchemaRegistry;
import io.streamable.schema.SchemaVersion;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * The encoder of a producer whose payload type is schemaless ({@code JsonNode}, {@code Object},
 * {@code Map}), the way a Confluent serializer with {@code use.latest.version=true} and no
 * auto-registration works: it registers nothing, and on a topic with schema versions each payload
 * must match the latest version (of some variant, for a sealed family) and is stamped with it, so
 * typed consumers decode it like any other message. A payload that matches none is refused before
 * anything is written. On a topic without versions it writes as the codec encodes, unversioned.
 *
 * <p>The topic's versions come from the registry's cached log: loaded when the producer opens,
 * refreshed in the background at most every {@link #REFRESH_NANOS} while the topic has none (so a
 * first version registered elsewhere is noticed), and reloaded once before a payload is refused
 * (it may match a version registered elsewhere since).
 */
final class SchemalessEncoder<T> implements PayloadEncoder<T> {
    static final long REFRESH_NANOS = 5_000_000_000L;
    private static final long RELOAD_BEFORE_REFUSING_NANOS = 1_000_000_000L;

    private final Topic<T> topic;
    private final DefaultSchemaRegistry registry;
    private final PayloadCodec<T> codec;
    private final ObjectMapper mapper;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile Candidates candidates;
    private volatile long lastLoad;

    /** The latest version of each variant, newest first, for one state of the topic's log. */
    private record Candidates(SchemaLog log, List<SchemaVersion> latest, List<Map<String, String>> headers) {
        static Candidates of(SchemaLog log) {
            List<SchemaVersion> all = log == null ? List.of() : log.versions();
            Set<String> variants = new LinkedHashSet<>();
            List<SchemaVersion> latest = new ArrayList<>();
            for (int i = all.size() - 1; i >= 0; i--) {
                if (variants.add(all.get(i).variant())) {
                    latest.add(all.get(i));
                }
            }
            List<Map<String, String>> headers = latest.stream().map(SchemalessEncoder::versionHeaders).toList();
            return new Candidates(log, List.copyOf(latest), headers);
        }
    }

    SchemalessEncoder(Topic<T> topic, DefaultSchemaRegistry registry, PayloadCodec<T> codec, ObjectMapper mapper) {
        this.topic = topic;
        this.registry = registry;
        this.codec = codec;
        this.mapper = mapper;
        load();
    }

    @Override
    public AppendRecord encode(OutgoingMessage<T> message) {
        byte[] bytes = codec.encode(message.payload());
        Candidates current = current();
        if (current.latest().isEmpty()) {
            refreshInBackground();
            return new AppendRecord(message.shardingKey(), message.logCompactId(), message.headers(), bytes,
                    codec.writesJson());
        }
        JsonNode tree = tree(message.payload(), bytes);
        List<String> problems = new ArrayList<>();
        int match = match(current, tree, problems);
        if (match < 0 && System.nanoTime() - lastLoad > RELOAD_BEFORE_REFUSING_NANOS) {
            current = load();
            problems.clear();
            match = match(current, tree, problems);
        }
        if (match < 0) {
            throw refused(current, problems);
        }
        Map<String, String> stamp = current.headers().get(match);
        Map<String, String> headers = stamp;
        if (!message.headers().isEmpty()) {
            Map<String, String> all = new HashMap<>(message.headers());
            all.putAll(stamp);
            headers = Map.copyOf(all);
        }
        return new AppendRecord(message.shardingKey(), message.logCompactId(), headers, bytes, codec.writesJson());
    }

    private static int match(Candidates candidates, JsonNode tree, List<String> problems) {
        for (int i = 0; i < candidates.latest().size(); i++) {
            SchemaVersion version = candidates.latest().get(i);
            List<String> mismatches = SchemaConformance.check(tree, version.schema());
            if (mismatches.isEmpty()) {
                return i;
            }
            problems.add("version " + version.version() + " (" + version.typeName() + "): " + String.join("; ", mismatches));
        }
        return -1;
    }

    private PayloadCodecException refused(Candidates current, List<String> problems) {
        String versions = current.latest().stream().map(v -> Integer.toString(v.version()))
                .collect(Collectors.joining(", "));
        return new PayloadCodecException("The payload does not match the latest schema " + (current.latest().size() == 1
                ? "version " : "versions " ) + versions + " of topic \"" + topic.name() + "\", so it is not written: "
                + String.join(" | ", problems) + ". A producer with a schemaless type (" + topic.payloadType()
                + ") writes to a topic with schema versions only payloads its latest version describes, stamped with"
                + " that version; fix the payload, or produce with the payload's own type so its schema is registered"
                + " and checked for compatibility", null);
    }

    private JsonNode tree(T payload, byte[] bytes) {
        if (payload instanceof JsonNode node) {
            return node;
        }
        try {
            return mapper.readTree(bytes);
        } catch (IOException e) {
            throw new PayloadCodecException("The payload for topic \"" + topic.name() + "\" did not encode as JSON, so it"
                    + " cannot be checked against the topic's schema: " + e.getMessage(), e);
        }
    }

    private Candidates current() {
        SchemaLog log = registry.cachedLog(topic.name());
        Candidates known = candidates;
        if (log != known.log()) {
            // this registry loaded the log since (another producer, a consumer): use the newer state
            known = Candidates.of(log);
            candidates = known;
        }
        return known;
    }

    private Candidates load() {
        Candidates loaded = Candidates.of(registry.load(topic.name(), Set.of()));
        lastLoad = System.nanoTime();
        candidates = loaded;
        return loaded;
    }

    /** The topic had no versions: look again now and then, off the caller's thread. */
    private void refreshInBackground() {
        if (System.nanoTime() - lastLoad > REFRESH_NANOS && refreshing.compareAndSet(false, true)) {
            lastLoad = System.nanoTime();
            CompletableFuture.runAsync(this::load).whenComplete((ignored, failure) -> refreshing.set(false));
        }
    }

    private static Map<String, String> versionHeaders(SchemaVersion version) {
        Map<String, String> headers = new HashMap<>();
        headers.put(SchemaRegistry.VERSION_HEADER, Integer.toString(version.version()));
        if (!version.variant().isEmpty()) {
            headers.put(SchemaRegistry.VARIANT_HEADER, version.variant());
        }
        return Map.copyOf(headers);
    }
}
