package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.Slots;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.BackendUrl;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.Rebalance;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicStore;
import io.streamable.consume.ConsumerNameInUseException;
import io.streamable.consume.RetentionGap;
import io.streamable.consume.StartFrom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("In-memory consumer groups at the SPI: slot counts, exclusive readers, descriptions, the barrier")
class InMemoryGroupTest {
    private final List<InMemoryBackend> backends = new ArrayList<>();
    private final String storage = "group-test-" + UUID.randomUUID();

    @AfterEach
    void close() {
        backends.forEach(InMemoryBackend::close);
    }

    private TopicStore topic(String options) {
        InMemoryBackend backend = (InMemoryBackend) new InMemoryBackendProvider()
                .open(BackendUrl.parse("memory:" + storage + options));
        backends.add(backend);
        return backend.topic("orders");
    }

    private static GroupMemberReader join(TopicStore store, List<Rebalance> seen) {
        return ((ConsumerGroups) store).joinGroup(ReaderSpec.named("billing", StartFrom.beginning()), seen::add);
    }

    private static void append(TopicStore store, String key, int count) {
        List<AppendRecord> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new AppendRecord(key, Optional.empty(), Map.of(), new byte[]{'1'}));
        }
        store.append(records).join();
    }

    @Test
    @DisplayName("a group keeps the slot count it was created with; joining with another explicit count is refused naming both")
    void slotCountIsRecorded() {
        GroupMemberReader first = join(topic("?slots=8"), new ArrayList<>());
        assertThat(first.slotCount()).isEqualTo(8);
        assertThat(first.slots()).hasSize(8);

        assertThat(join(topic(""), new ArrayList<>()).slotCount()).as("no option: the group's count").isEqualTo(8);
        assertThatThrownBy(() -> join(topic("?slots=16"), new ArrayList<>())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has 8 slots").hasMessageContaining("slots=16");
    }

    @Test
    @DisplayName("slots and rebalanceDelay options are checked, with the accepted forms")
    void invalidOptions() {
        assertThatThrownBy(() -> topic("?slots=0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slots=0").hasMessageContaining("1 to 4096");
        assertThatThrownBy(() -> topic("?rebalanceDelay=1h")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rebalanceDelay=1h").hasMessageContaining("at most 5s");
    }

    @Test
    @DisplayName("an exclusive reader is refused while the group has a live member, and a join while an exclusive reader holds the name")
    void exclusiveAndGroupExcludeEachOther() {
        TopicStore store = topic("");
        GroupMemberReader member = join(store, new ArrayList<>());
        assertThatThrownBy(() -> store.openReader(ReaderSpec.named("billing", StartFrom.beginning())))
                .isInstanceOf(ConsumerNameInUseException.class);
        member.close();

        store.openReader(ReaderSpec.named("billing", StartFrom.beginning()));
        assertThatThrownBy(() -> join(topic(""), new ArrayList<>())).isInstanceOf(ConsumerNameInUseException.class);
    }

    @Test
    @DisplayName("a second member gets its share only through the first one's barrier: the first commits from inside its listener, then its revoked slots move, and the new owner starts after that commit")
    void barrier() throws InterruptedException {
        TopicStore store = topic("?rebalanceDelay=0ms");
        AtomicReference<GroupMemberReader> self = new AtomicReference<>();
        List<Rebalance> firstSeen = new CopyOnWriteArrayList<>();
        List<Set<Integer>> ownedInListener = new CopyOnWriteArrayList<>();
        GroupMemberReader first = ((ConsumerGroups) store).joinGroup(ReaderSpec.named("billing", StartFrom.beginning()),
                change -> {
                    firstSeen.add(change);
                    ownedInListener.add(self.get().slots());
                    self.get().commit(Position.of(2)); // what the engine does once its records in flight are handled
                });
        self.set(first);
        String key = "k";
        append(store, key, 3);
        assertThat(first.read(10, Duration.ZERO).records()).hasSize(3);

        List<Rebalance> secondSeen = new CopyOnWriteArrayList<>();
        GroupMemberReader second = join(store, secondSeen);
        assertThat(second.read(10, Duration.ZERO).records()).isEmpty();
        assertThat(second.slots()).as("nothing until the first member lets go").isEmpty();

        first.read(10, Duration.ZERO);
        assertThat(firstSeen).singleElement().satisfies(change -> {
            assertThat(change.revoked()).hasSize(Slots.DEFAULT_COUNT / 2);
            assertThat(change.assigned()).isEmpty();
        });
        assertThat(ownedInListener).as("inside the listener the member still owns every slot")
                .singleElement().satisfies(owned -> assertThat(owned).hasSize(Slots.DEFAULT_COUNT));
        assertThat(first.slots()).hasSize(Slots.DEFAULT_COUNT / 2);

        second.read(10, Duration.ZERO);
        assertThat(secondSeen).singleElement().satisfies(change -> assertThat(change.assigned()).hasSize(8));
        assertThat(second.slots()).hasSize(8).doesNotContainAnyElementsOf(first.slots());
        assertThat(((ConsumerGroups) store).describeGroup("billing").orElseThrow().slots())
                .as("the commit made inside the listener covers the slots that moved")
                .allSatisfy(slot -> assertThat(slot.committed()).contains(Position.of(2)));

        int slotOfKey = Slots.slotOf(key, Slots.DEFAULT_COUNT);
        GroupMemberReader owner = first.slots().contains(slotOfKey) ? first : second;
        GroupMemberReader other = owner == first ? second : first;
        append(store, key, 1);
        assertThat(owner.read(10, Duration.ZERO).records()).as("the key's new record, to its slot's owner only")
                .extracting(StoredRecord::position).containsExactly(Position.of(3));
        assertThat(other.read(10, Duration.ZERO).records()).isEmpty();
    }

    @Test
    @DisplayName("describeGroup shows members with their slots, and each slot's committed position, owner and lag")
    void describe() throws InterruptedException {
        TopicStore store = topic("?slots=4");
        String inZero = null;
        for (int i = 0; inZero == null; i++) {
            if (Slots.slotOf("key-" + i, 4) == 0) {
                inZero = "key-" + i;
            }
        }
        append(store, inZero, 5);
        GroupMemberReader member = join(store, new ArrayList<>());
        assertThat(member.read(10, Duration.ZERO).records()).hasSize(5);
        member.commit(Position.of(2));

        GroupDescription description = ((ConsumerGroups) store).describeGroup("billing").orElseThrow();
        assertThat(description.slotCount()).isEqualTo(4);
        assertThat(description.members()).singleElement().satisfies(m -> {
            assertThat(m.memberId()).isEqualTo(member.memberId());
            assertThat(m.slots()).containsExactly(0, 1, 2, 3);
        });
        assertThat(description.slots()).hasSize(4).allSatisfy(slot -> {
            assertThat(slot.committed()).contains(Position.of(2));
            assertThat(slot.owner()).contains(member.memberId());
        });
        assertThat(description.slots().get(0).lag()).as("records of slot 0 after its committed offset").isEqualTo(2);
        assertThat(description.slots().get(1).lag()).isZero();
        assertThat(member.lag(Optional.of(Position.of(3)))).isEqualTo(1);
        assertThat(((ConsumerGroups) store).describeGroup("nobody")).isEmpty();
        assertThat(store.savedPosition("billing")).contains(Position.of(2));
    }

    @Test
    @DisplayName("retention with a group: a slot gained in a rebalance below the low-water mark, and the slot its old"
            + " owner keeps, resume at the oldest kept record, each reader reporting the gap; nothing kept is skipped")
    void gainedSlotBelowTheLowWaterMark() throws InterruptedException {
        TopicStore store = topic("?slots=2&rebalanceDelay=0ms");
        String key0 = keyOfSlot(0, 2);
        String key1 = keyOfSlot(1, 2);
        GroupMemberReader first = join(store, new ArrayList<>());
        append(store, key0, 1);
        append(store, key1, 1);
        assertThat(first.read(10, Duration.ZERO).records()).hasSize(2);
        first.commit(Position.of(1));
        for (int i = 0; i < 3; i++) {
            append(store, key0, 1);
            append(store, key1, 1);
        }
        // offsets 2..7, unread; keeping the newest two removes 2..5
        store.setRetention(Retention.maxMessages(2));
        assertThat(store.lag(Optional.of(Position.of(1)))).as("lag counts only what is stored").isEqualTo(2);

        GroupMemberReader second = join(store, new ArrayList<>());
        List<StoredRecord> firstRead = first.read(10, Duration.ZERO).records(); // gives a slot up, then reads the other
        assertThat(first.slots()).hasSize(1);
        List<StoredRecord> secondRead = second.read(10, Duration.ZERO).records();
        assertThat(second.slots()).hasSize(1).doesNotContainAnyElementsOf(first.slots());

        RetentionGap expected = new RetentionGap("orders", 0, 2, 6);
        assertThat(first.takeRetentionGaps()).as("the member that kept its slot").containsExactly(expected);
        assertThat(second.takeRetentionGaps()).as("the member that gained its slot").containsExactly(expected);
        assertThat(second.takeRetentionGaps()).as("taken once").isEmpty();
        assertThat(firstRead).extracting(record -> record.position().offset()).as("the first member's kept record")
                .containsExactly(first.slots().contains(0) ? 6L : 7L);
        assertThat(secondRead).extracting(record -> record.position().offset()).as("the second member's kept record")
                .containsExactly(second.slots().contains(0) ? 6L : 7L);
        GroupDescription described = ((ConsumerGroups) store).describeGroup("billing").orElseThrow();
        assertThat(described.slots()).extracting(GroupDescription.SlotState::lag).as("only stored records lag")
                .containsExactly(1L, 1L);
    }

    /** A sharding key whose slot among {@code slots} is {@code slot}. */
    private static String keyOfSlot(int slot, int slots) {
        for (int i = 0; ; i++) {
            if (Slots.slotOf("key-" + i, slots) == slot) {
                return "key-" + i;
            }
        }
    }
}
