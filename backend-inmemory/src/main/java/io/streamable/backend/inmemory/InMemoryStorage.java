package io.streamable.backend.inmemory;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/** The topics of one in-memory store, shared by every connection that opened it. */
final class InMemoryStorage {
    private final Map<String, InMemoryTopic> topics = new ConcurrentHashMap<>();

    InMemoryTopic topic(String name) {
        InMemoryTopic topic = topics.computeIfAbsent(name, InMemoryTopic::new);
        topic.exist(); // created on first use, also after a deletion
        return topic;
    }

    /**
     * Empties a topic and unlists it. The topic object stays, so stores and producers that
     * still hold it write to the one topic a later {@link #topic} returns, not to a lost copy.
     */
    void delete(String name) {
        InMemoryTopic topic = topics.get(name);
        if (topic != null) {
            topic.clear();
        }
    }

    /** Removes what every topic's retention allows now: the connections' sweep, for age limits on idle topics. */
    void enforceRetention() {
        for (InMemoryTopic topic : topics.values()) {
            topic.enforceRetention();
        }
    }

    Set<String> topicNames() {
        Set<String> names = new TreeSet<>();
        for (InMemoryTopic topic : topics.values()) {
            if (!topic.name().startsWith("__") && topic.exists()) {
                names.add(topic.name());
            }
        }
        return names;
    }
}
