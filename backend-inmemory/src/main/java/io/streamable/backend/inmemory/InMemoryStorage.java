package io.streamable.backend.inmemory;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/** The topics of one in-memory store, shared by every connection that opened it. */
final class InMemoryStorage {
    private final Map<String, InMemoryTopic> topics = new ConcurrentHashMap<>();

    /** Names deleted and not used since: they stay out of {@link #topicNames()}. */
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();

    InMemoryTopic topic(String name) {
        deleted.remove(name);
        return topics.computeIfAbsent(name, InMemoryTopic::new);
    }

    /**
     * Empties a topic and unlists it. The topic object stays, so stores and producers that
     * still hold it write to the one topic a later {@link #topic} returns, not to a lost copy.
     */
    void delete(String name) {
        InMemoryTopic topic = topics.get(name);
        if (topic != null) {
            topic.clear();
            deleted.add(name);
        }
    }

    Set<String> topicNames() {
        Set<String> names = new TreeSet<>();
        for (String name : topics.keySet()) {
            if (!name.startsWith("__") && !deleted.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }
}
