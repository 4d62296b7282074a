package io.streamable.client;

import io.streamable.consume.ConsumerInterceptor;
import io.streamable.produce.ProducerInterceptor;

import java.util.List;

/** The interceptors a {@link StreamableBuilder} was given, applied to every producer and consumer. */
record Interceptors(List<ProducerInterceptor> producer, List<ConsumerInterceptor> consumer) {
    Interceptors {
        producer = List.copyOf(producer);
        consumer = List.copyOf(consumer);
    }
}
