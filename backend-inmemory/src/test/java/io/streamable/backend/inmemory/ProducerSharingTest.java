package io.streamable.backend.inmemory;

import io.streamable.PayloadType;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.codec.PayloadCodec;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.json.JsonCodecFactory;
import io.streamable.produce.Producer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Streamable.producer(topic) shares one producer per topic")
class ProducerSharingTest {
    record Greeting(String name) {
    }

    private static final Topic<Greeting> GREETINGS = Topic.of("greetings", Greeting.class);

    @Test
    @DisplayName("calling producer(topic) inline 20,000 times sets up the topic's producer once")
    void inlineCallsShareOneProducer() {
        AtomicInteger codecsMade = new AtomicInteger();
        PayloadCodecFactory json = JsonCodecFactory.defaults();
        PayloadCodecFactory counting = new PayloadCodecFactory() {
            @Override
            public <T> PayloadCodec<T> codecFor(PayloadType<T> type) {
                codecsMade.incrementAndGet();
                return json.codecFor(type);
            }
        };
        try (Streamable streamable = Streamable.builder().url("memory:").codecs(counting).build()) {
            for (int i = 0; i < 20_000; i++) {
                streamable.producer(Topic.of("greetings", Greeting.class)).append("phil", new Greeting("phil" + i));
            }
            assertThat(codecsMade).hasValue(1);
            assertThat(streamable.backend().topic("greetings").head()).hasValueSatisfying(
                    head -> assertThat(head.offset()).isEqualTo(19_999));
        }
    }

    @Test
    @DisplayName("closing one caller's producer leaves every other caller's producer working")
    void closingOneHandleLeavesOthersOpen() {
        try (Streamable streamable = Streamable.open("memory:")) {
            Producer<Greeting> first = streamable.producer(GREETINGS);
            Producer<Greeting> second = streamable.producer(GREETINGS);
            first.close();
            first.close();
            assertThatThrownBy(() -> first.append("phil", new Greeting("phil")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("streamable.producer(topic) again");
            assertThat(second.appendAndWait("phil", new Greeting("phil"))).isNotNull();
            assertThat(streamable.producer(GREETINGS).appendAndWait("phil", new Greeting("phil"))).isNotNull();
        }
    }

    @Test
    @DisplayName("closing the Streamable closes every producer made from it")
    void closingTheStreamableClosesProducers() {
        Streamable streamable = Streamable.open("memory:");
        Producer<Greeting> producer = streamable.producer(GREETINGS);
        streamable.close();
        assertThatThrownBy(() -> producer.append("phil", new Greeting("phil"))).isInstanceOf(IllegalStateException.class);
    }
}
