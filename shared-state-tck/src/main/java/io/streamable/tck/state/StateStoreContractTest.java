package io.streamable.tck.state;

import io.streamable.PayloadType;
import io.streamable.Position;
import io.streamable.state.Change;
import io.streamable.state.PendingOutput;
import io.streamable.state.SharedState;
import io.streamable.state.Source;
import io.streamable.state.StateStore;
import io.streamable.state.UpdateResult;
import io.streamable.state.Versioned;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The state store contract: every state backend passes it. A backend's test extends this class and
 * supplies a {@link StateFixture}. Each test uses a store of its own, so backends need not be
 * emptied between tests.
 */
public abstract class StateStoreContractTest {

    /** A value type with nested and optional parts, to show values round-trip through the codec. */
    public record Account(String owner, long balance, List<String> tags, Optional<String> note) {
    }

    private final List<SharedState> opened = new ArrayList<>();
    private String storeName;

    /**
     * The backend under test.
     *
     * @return the fixture that opens connections to the backend under test
     */
    protected abstract StateFixture fixture();

    @BeforeEach
    void nameStore() {
        storeName = "contract-" + UUID.randomUUID().toString().substring(0, 12);
    }

    @AfterEach
    void closeConnections() {
        opened.forEach(SharedState::close);
    }

    /**
     * A new connection, closed after the test.
     *
     * @return the connection
     */
    protected SharedState connect() {
        SharedState state = fixture().open();
        opened.add(state);
        return state;
    }

    private StateStore<Long> counters() {
        return connect().store(storeName, Long.class);
    }

    private static Source source(String topic, long offset) {
        return Source.of(topic, offset);
    }

    @Nested
    @DisplayName("values and versions")
    class Values {

        @Test
        @DisplayName("a key never written has no value, version or applied position")
        void missingKey() {
            StateStore<Long> store = counters();
            assertThat(store.get("nobody")).isEmpty();
            assertThat(store.read("nobody")).isEmpty();
            assertThat(store.appliedPosition("nobody", "orders")).isEmpty();
        }

        @Test
        @DisplayName("update creates a key at version 1 and each later update adds one")
        void versions() {
            StateStore<Long> store = counters();
            UpdateResult<Long> first = store.update("k", current -> current.orElse(0L) + 5);
            assertThat(first.applied()).isTrue();
            assertThat(first.previous()).isEmpty();
            assertThat(first.value()).contains(5L);
            assertThat(first.version()).isEqualTo(1);

            UpdateResult<Long> second = store.update("k", current -> current.orElseThrow() * 10);
            assertThat(second.previous()).contains(5L);
            assertThat(second.value()).contains(50L);
            assertThat(second.version()).isEqualTo(2);
            assertThat(store.read("k")).get().extracting(Versioned::value, Versioned::version).containsExactly(50L, 2L);
        }

        @Test
        @DisplayName("records, lists and optionals round-trip through the payload codec")
        void typedValues() {
            StateStore<Account> accounts = connect().store(storeName, Account.class);
            Account alice = new Account("alice", 120, List.of("gold", "eu"), Optional.of("vip"));
            accounts.update("acct-1", current -> alice);
            assertThat(connect().store(storeName, Account.class).get("acct-1")).contains(alice);

            StateStore<Map<String, List<Long>>> generic = connect().store(storeName + "-generic",
                    new PayloadType<Map<String, List<Long>>>() { });
            generic.update("g", current -> Map.of("a", List.of(1L, 2L)));
            assertThat(generic.get("g")).contains(Map.of("a", List.of(1L, 2L)));
        }

        @Test
        @DisplayName("a value written on one connection is read on another")
        void sharedAcrossConnections() {
            counters().update("shared", current -> 42L);
            assertThat(counters().get("shared")).contains(42L);
        }

        @Test
        @DisplayName("delete removes the value and keeps counting versions")
        void delete() {
            StateStore<Long> store = counters();
            store.update("gone", current -> 1L);
            UpdateResult<Long> deleted = store.delete("gone");
            assertThat(deleted.applied()).isTrue();
            assertThat(deleted.previous()).contains(1L);
            assertThat(deleted.value()).isEmpty();
            assertThat(deleted.version()).isEqualTo(2);
            assertThat(store.get("gone")).isEmpty();

            UpdateResult<Long> recreated = store.update("gone", current -> current.orElse(100L));
            assertThat(recreated.previous()).isEmpty();
            assertThat(recreated.value()).contains(100L);
            assertThat(recreated.version()).isEqualTo(3);
        }

        @Test
        @DisplayName("deleting a key that never existed writes nothing")
        void deleteMissing() {
            StateStore<Long> store = counters();
            assertThat(store.delete("never").version()).isZero();
            assertThat(store.entries("")).isEmpty();
        }

        @Test
        @DisplayName("an update function returning null is refused with advice and writes nothing")
        void nullFromFunction() {
            StateStore<Long> store = counters();
            store.update("k", current -> 7L);
            assertThatThrownBy(() -> store.update("k", current -> null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("returned null").hasMessageContaining("delete");
            assertThat(store.read("k")).get().extracting(Versioned::version).isEqualTo(1L);
        }

        @Test
        @DisplayName("an empty key is refused with a clear message")
        void emptyKey() {
            assertThatThrownBy(() -> counters().update("", current -> 1L))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-empty");
        }

        @Test
        @DisplayName("a closed connection refuses to work instead of failing obscurely")
        void closed() {
            SharedState state = connect();
            StateStore<Long> store = state.store(storeName, Long.class);
            state.close();
            state.close(); // idempotent
            assertThatThrownBy(() -> store.get("k")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        }
    }

    @Nested
    @DisplayName("optimistic concurrency")
    class Concurrency {

        @Test
        @DisplayName("concurrent updates of one key from several connections lose nothing")
        void noLostUpdates() throws Exception {
            int writers = 6;
            int increments = 150;
            List<Callable<Void>> tasks = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int w = 0; w < writers; w++) {
                StateStore<Long> store = counters();
                tasks.add(() -> {
                    start.await();
                    for (int i = 0; i < increments; i++) {
                        store.update("hot", current -> current.orElse(0L) + 1);
                    }
                    return null;
                });
            }
            runAll(tasks, start);
            Versioned<Long> result = counters().read("hot").orElseThrow();
            assertThat(result.value()).isEqualTo((long) writers * increments);
            assertThat(result.version()).isEqualTo((long) writers * increments);
        }
    }

    @Nested
    @DisplayName("apply-once by source position")
    class ApplyOnce {

        @Test
        @DisplayName("the same message applied twice is refused the second time without running the function")
        void sameSourceTwice() {
            StateStore<Long> store = counters();
            assertThat(store.update("k", source("deposits", 3), current -> current.orElse(0L) + 10).applied()).isTrue();
            AtomicInteger calls = new AtomicInteger();
            UpdateResult<Long> again = store.update("k", source("deposits", 3), current -> {
                calls.incrementAndGet();
                return current.orElse(0L) + 10;
            });
            assertThat(again.status()).isEqualTo(UpdateResult.Status.ALREADY_APPLIED);
            assertThat(again.value()).contains(10L);
            assertThat(again.version()).isEqualTo(1);
            assertThat(calls).hasValue(0);
            assertThat(store.get("k")).contains(10L);
            assertThat(store.stats().alreadyApplied()).isEqualTo(1);
        }

        @Test
        @DisplayName("an older position of the same topic is refused, a newer one applied")
        void olderRefusedNewerApplied() {
            StateStore<Long> store = counters();
            store.update("k", source("deposits", 10), current -> 1L);
            assertThat(store.update("k", source("deposits", 9), current -> 2L).alreadyApplied()).isTrue();
            assertThat(store.update("k", source("deposits", 11), current -> 3L).applied()).isTrue();
            assertThat(store.get("k")).contains(3L);
            assertThat(store.appliedPosition("k", "deposits")).contains(Position.of(11));
        }

        @Test
        @DisplayName("positions of different topics and different keys are independent")
        void independentTopicsAndKeys() {
            StateStore<Long> store = counters();
            store.update("k", source("deposits", 10), current -> current.orElse(0L) + 1);
            assertThat(store.update("k", source("withdrawals", 2), current -> current.orElse(0L) + 1).applied()).isTrue();
            assertThat(store.update("other", source("deposits", 2), current -> 1L).applied()).isTrue();
            assertThat(store.read("k").orElseThrow().applied())
                    .containsEntry("deposits", Position.of(10)).containsEntry("withdrawals", Position.of(2));
        }

        @Test
        @DisplayName("topic names with dots keep their own positions")
        void dottedTopics() {
            StateStore<Long> store = counters();
            store.update("k", source("billing.v2", 4), current -> 1L);
            assertThat(store.update("k", source("billing.v2", 4), current -> 2L).alreadyApplied()).isTrue();
            assertThat(store.appliedPosition("k", "billing.v2")).contains(Position.of(4));
        }

        @Test
        @DisplayName("on partitioned topics positions are compared within the message's partition")
        void partitions() {
            StateStore<Long> store = counters();
            store.update("k", new Source("events", Position.of(1, 50)), current -> current.orElse(0L) + 1);
            assertThat(store.update("k", new Source("events", Position.of(2, 3)), current -> current.orElse(0L) + 1)
                    .applied()).as("another partition's lower offset is not older").isTrue();
            assertThat(store.update("k", new Source("events", Position.of(1, 49)), current -> 99L).alreadyApplied())
                    .isTrue();
            assertThat(store.update("k", new Source("events", Position.of(2, 3)), current -> 99L).alreadyApplied())
                    .isTrue();
            assertThat(store.get("k")).contains(2L);
            assertThat(store.appliedPosition("k", "events")).contains(Position.of(Map.of(1, 50L, 2, 3L)));
        }

        @Test
        @DisplayName("a source naming several partitions is rejected with advice")
        void multiPartitionSource() {
            assertThatThrownBy(() -> new Source("events", Position.of(Map.of(0, 1L, 1, 2L))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one partition");
        }

        @Test
        @DisplayName("a delete keeps its applied positions, so a redelivered message cannot resurrect the key")
        void tombstoneRemembers() {
            StateStore<Long> store = counters();
            store.update("k", source("accounts", 5), current -> 1L);
            assertThat(store.delete("k", source("accounts", 6)).applied()).isTrue();
            assertThat(store.update("k", source("accounts", 5), current -> 1L).alreadyApplied()).isTrue();
            assertThat(store.update("k", source("accounts", 6), current -> 1L).alreadyApplied()).isTrue();
            assertThat(store.get("k")).isEmpty();
            assertThat(store.appliedPosition("k", "accounts")).contains(Position.of(6));
            assertThat(store.update("k", source("accounts", 7), current -> current.orElse(40L) + 2).value())
                    .contains(42L);
        }

        @Test
        @DisplayName("updates without a source do not disturb recorded positions")
        void plainUpdatesKeepPositions() {
            StateStore<Long> store = counters();
            store.update("k", source("deposits", 8), current -> 1L);
            store.update("k", current -> current.orElseThrow() + 1);
            assertThat(store.update("k", source("deposits", 8), current -> 100L).alreadyApplied()).isTrue();
            assertThat(store.get("k")).contains(2L);
        }

        @Test
        @DisplayName("many writers racing over the same messages apply each exactly once")
        void racingWritersApplyOnce() throws Exception {
            int writers = 4;
            int messages = 120;
            CountDownLatch start = new CountDownLatch(1);
            List<StateStore<Long>> stores = new ArrayList<>();
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                StateStore<Long> store = counters();
                stores.add(store);
                tasks.add(() -> {
                    start.await();
                    for (int offset = 0; offset < messages; offset++) {
                        store.update("k", source("deposits", offset), current -> current.orElse(0L) + 1);
                    }
                    return null;
                });
            }
            runAll(tasks, start);
            assertThat(counters().get("k")).contains((long) messages);
            assertThat(stores.stream().mapToLong(s -> s.stats().applied()).sum()).isEqualTo(messages);
            assertThat(stores.stream().mapToLong(s -> s.stats().alreadyApplied()).sum())
                    .isEqualTo((long) (writers - 1) * messages);
        }
    }

    @Nested
    @DisplayName("outbox: output kept with the state until acknowledged")
    class Outbox {

        private byte[] bytes(String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }

        private String text(PendingOutput pending) {
            return new String(pending.output(), StandardCharsets.UTF_8);
        }

        private Map<String, String> pendingByKeyAndSource(StateStore<?> store) {
            Map<String, String> all = new TreeMap<>();
            store.forEachPending(pending -> all.put(pending.key() + " " + pending.source(), text(pending)));
            return all;
        }

        @Test
        @DisplayName("an applied update stores its output in the same write and returns it with the written version")
        void storedWithTheWrite() {
            StateStore<Long> store = counters();
            UpdateResult<Long> result = store.computeWithOutput("k", source("orders", 4),
                    current -> Change.of(current.orElse(0L) + 1, bytes("out-4")));
            assertThat(result.applied()).isTrue();
            assertThat(result.pending()).get().satisfies(pending -> {
                assertThat(text(pending)).isEqualTo("out-4");
                assertThat(pending.source()).isEqualTo(source("orders", 4));
                assertThat(pending.version()).isEqualTo(1);
            });
            assertThat(pendingByKeyAndSource(counters())).containsExactly(Map.entry("k orders@4", "out-4"));
        }

        @Test
        @DisplayName("a redelivered message is refused and gets the output still pending for it, on any connection")
        void redeliveryReturnsPending() {
            counters().computeWithOutput("k", source("orders", 4), current -> Change.of(1L, bytes("out-4")));
            AtomicInteger calls = new AtomicInteger();
            UpdateResult<Long> again = counters().computeWithOutput("k", source("orders", 4), current -> {
                calls.incrementAndGet();
                return Change.of(99L, bytes("other"));
            });
            assertThat(again.alreadyApplied()).isTrue();
            assertThat(calls).hasValue(0);
            assertThat(again.pending()).get().extracting(this::text).isEqualTo("out-4");
            assertThat(again.pending().get().version()).isEqualTo(1);
            assertThat(counters().compute("k", Optional.of(source("orders", 4)), current -> Optional.of(5L)).pending())
                    .as("a plain apply-once update refused on that source sees it too").isPresent();
        }

        @Test
        @DisplayName("acknowledging removes the output in one write; a redelivery then gets nothing pending")
        void acknowledge() {
            StateStore<Long> store = counters();
            store.computeWithOutput("k", source("orders", 4), current -> Change.of(1L, bytes("out-4")));
            assertThat(counters().acknowledge("k", source("orders", 4))).isTrue();
            assertThat(store.read("k")).get().extracting(Versioned::value, Versioned::version).containsExactly(1L, 2L);
            assertThat(store.acknowledge("k", source("orders", 4))).as("a second acknowledgement").isFalse();
            assertThat(store.acknowledge("nobody", source("orders", 4))).isFalse();
            UpdateResult<Long> again = store.computeWithOutput("k", source("orders", 4), current -> Change.of(9L));
            assertThat(again.alreadyApplied()).isTrue();
            assertThat(again.pending()).isEmpty();
            assertThat(pendingByKeyAndSource(store)).isEmpty();
            assertThat(store.appliedPosition("k", "orders")).as("the applied position stays").contains(Position.of(4));
        }

        @Test
        @DisplayName("outputs of several sources on one key stay apart; acknowledging one keeps the others")
        void severalSources() {
            StateStore<Long> store = counters();
            store.computeWithOutput("k", source("orders", 1), current -> Change.of(1L, bytes("o1")));
            store.computeWithOutput("k", source("orders", 2), current -> Change.of(2L, bytes("o2")));
            store.computeWithOutput("k", source("billing.v2", 7), current -> Change.of(3L, bytes("b7")));
            store.computeWithOutput("k", new Source("events", Position.of(3, 17)), current -> Change.of(4L, bytes("e")));
            assertThat(store.acknowledge("k", source("orders", 1))).isTrue();
            assertThat(pendingByKeyAndSource(store)).containsExactly(Map.entry("k billing.v2@7", "b7"),
                    Map.entry("k events@3:17", "e"), Map.entry("k orders@2", "o2"));
            assertThat(store.get("k")).contains(4L);
        }

        @Test
        @DisplayName("plain updates, updates without output and deletes keep the pending output")
        void otherWritesKeepIt() {
            StateStore<Long> store = counters();
            store.computeWithOutput("k", source("orders", 1), current -> Change.of(1L, bytes("o1")));
            store.update("k", current -> current.orElseThrow() + 1);
            store.computeWithOutput("k", source("orders", 2), current -> Change.of(current.orElseThrow() + 1));
            store.delete("k", source("orders", 3));
            assertThat(store.get("k")).isEmpty();
            assertThat(pendingByKeyAndSource(store)).containsExactly(Map.entry("k orders@1", "o1"));
            assertThat(store.computeWithOutput("k", source("orders", 1), current -> Change.of(0L)).pending())
                    .get().extracting(this::text).isEqualTo("o1");
        }

        @Test
        @DisplayName("a delete can carry output too")
        void deleteWithOutput() {
            StateStore<Long> store = counters();
            store.update("k", current -> 1L);
            UpdateResult<Long> deleted = store.computeWithOutput("k", source("orders", 5),
                    current -> new Change<>(Optional.empty(), Optional.of(bytes("gone"))));
            assertThat(deleted.value()).isEmpty();
            assertThat(pendingByKeyAndSource(store)).containsExactly(Map.entry("k orders@5", "gone"));
        }

        @Test
        @DisplayName("forEachPending lists exactly the keys with pending output, not the others")
        void onlyPendingKeysListed() {
            StateStore<Long> store = counters();
            for (int i = 0; i < 200; i++) {
                store.update("plain-" + i, source("orders", i), current -> 1L);
            }
            store.computeWithOutput("a", source("orders", 1), current -> Change.of(1L, bytes("a")));
            store.computeWithOutput("b", source("orders", 1), current -> Change.of(1L, bytes("b")));
            store.computeWithOutput("c", source("orders", 1), current -> Change.of(1L, bytes("c")));
            store.acknowledge("b", source("orders", 1));
            assertThat(pendingByKeyAndSource(counters())).containsOnlyKeys("a orders@1", "c orders@1");
            assertThat(pendingByKeyAndSource(connect().store(storeName + "-other", Long.class)))
                    .as("another store's outbox").isEmpty();
        }

        @Test
        @DisplayName("empty output bytes are kept as pending, distinct from no output")
        void emptyOutput() {
            StateStore<Long> store = counters();
            store.computeWithOutput("k", source("orders", 1), current -> Change.of(1L, new byte[0]));
            assertThat(pendingByKeyAndSource(store)).containsExactly(Map.entry("k orders@1", ""));
        }

        @Test
        @DisplayName("writers racing over the same messages store each message's output once, and the index agrees")
        void racingWriters() throws Exception {
            int writers = 4;
            int messages = 60;
            CountDownLatch start = new CountDownLatch(1);
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                StateStore<Long> store = counters();
                tasks.add(() -> {
                    start.await();
                    for (int offset = 0; offset < messages; offset++) {
                        String key = "k" + (offset % 3);
                        int message = offset;
                        UpdateResult<Long> result = store.computeWithOutput(key, source("orders", offset),
                                current -> Change.of(current.orElse(0L) + 1, bytes("m" + message)));
                        // whoever gets it (applied or refused with it pending) acknowledges even offsets
                        if (message % 2 == 0 && result.pending().isPresent()) {
                            store.acknowledge(key, source("orders", message));
                        }
                    }
                    return null;
                });
            }
            runAll(tasks, start);
            Map<String, String> expected = new TreeMap<>();
            for (int offset = 1; offset < messages; offset += 2) {
                expected.put("k" + (offset % 3) + " orders@" + offset, "m" + offset);
            }
            assertThat(pendingByKeyAndSource(counters())).isEqualTo(expected);
            assertThat(counters().entries("k").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(messages);
        }
    }

    @Nested
    @DisplayName("lookup by key prefix")
    class Prefix {

        @Test
        @DisplayName("entries returns the keys with the prefix in key order, without tombstones")
        void entries() {
            StateStore<Long> store = counters();
            for (String key : List.of("acct-3", "acct-1", "acct-2", "acc", "bcct-1", "acct-10")) {
                store.update(key, current -> (long) key.length());
            }
            store.delete("acct-2");
            assertThat(store.entries("acct-").keySet()).containsExactly("acct-1", "acct-10", "acct-3");
            assertThat(store.entries("acct-")).containsEntry("acct-10", 7L);
            assertThat(store.entries("")).hasSize(5);
            assertThat(store.entries("zzz")).isEmpty();
        }

        @Test
        @DisplayName("prefixes are literal text: regex characters match only themselves")
        void literalPrefix() {
            StateStore<Long> store = counters();
            store.update("a.b(1)*", current -> 1L);
            store.update("axb(1)*", current -> 2L);
            store.update("a.b[2]", current -> 3L);
            assertThat(store.entries("a.b").keySet()).containsExactly("a.b(1)*", "a.b[2]");
            assertThat(store.entries("a.b(").keySet()).containsExactly("a.b(1)*");
        }

        @Test
        @DisplayName("forEach visits the same entries in the same order")
        void forEach() {
            StateStore<Long> store = counters();
            store.update("p-2", current -> 2L);
            store.update("p-1", current -> 1L);
            List<String> seen = new ArrayList<>();
            store.forEach("p-", (key, value) -> seen.add(key + "=" + value));
            assertThat(seen).containsExactly("p-1=1", "p-2=2");
        }
    }

    private static void runAll(List<Callable<Void>> tasks, CountDownLatch start) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (Callable<Void> task : tasks) {
                futures.add(pool.submit(task));
            }
            start.countDown();
            for (Future<Void> future : futures) {
                future.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
