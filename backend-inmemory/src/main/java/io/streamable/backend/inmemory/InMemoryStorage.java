package io.streamable.backend.inmemory;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/** The topics of one in-memory store, shared by every connection that opened it. */
final class InMemoryStorage {
    private final Map<String, InMemoryTopic> topics = new ConcurrentHashMap<>();

    InMemoryTopic topic(String name) {
        return topics.computeIfAbsent(name, InMemoryTopic::new);
    }

    Set<String> topicNames() {
        Set<String> names = new TreeSet<>();
        for (String name : topics.keySet()) {
            if (!name.startsWith("__")) {
                names.add(name);
            }
        }
        return names;
    }
}
